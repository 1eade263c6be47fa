import { Worker } from 'node:worker_threads';

/**
 * Start the worker thread whose module is `name` (without extension) beside the module at
 * `baseUrl` (pass import.meta.url). Built, that is `name.js` next to the caller (also in the
 * desktop bundle, where scripts/build-desktop.mjs puts each worker beside engine-host.js).
 * Run from the TypeScript sources (tests, `npm run daemon`) it is `name.ts`, and the worker
 * must register tsx itself: loader hooks from `--import tsx` do not reach worker threads on
 * Node 20.
 */
export function spawnModuleWorker(baseUrl: string, name: string): Worker {
  if (!baseUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, baseUrl));
  const src = JSON.stringify(new URL(`./${name}.ts`, baseUrl).href);
  return new Worker(`import('tsx/esm/api').then((t) => { t.register(); return import(${src}); })`, { eval: true });
}
