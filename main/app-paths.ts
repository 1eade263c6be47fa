import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the desktop app's pieces are, from the bundled main's own location
 * (<root>/dist-electron/main.js; in a package <root> is resources/app.asar).
 */
export interface AppPaths {
  root: string;
  engineHost: string;
  preload: string;
  rendererDist: string;
  assets: string;
}

export function appPaths(mainModuleUrl: string): AppPaths {
  const root = path.resolve(path.dirname(fileURLToPath(mainModuleUrl)), '..');
  return {
    root,
    engineHost: path.join(root, 'dist-electron', 'engine-host.js'),
    preload: path.join(root, 'dist-electron', 'preload.cjs'),
    rendererDist: path.join(root, 'renderer', 'dist'),
    assets: path.join(root, 'assets'),
  };
}

/** Arguments for the engine host (storage under userData; test hooks from the environment). */
export function engineHostArgs(userData: string, env: NodeJS.ProcessEnv): string[] {
  const args = ['--storage', path.join(userData, 'engine')];
  if (env.SHOAL_LISTEN_HOST) args.push('--listen-host', env.SHOAL_LISTEN_HOST);
  if (env.SHOAL_NO_LAN === '1') args.push('--no-lan');
  return args;
}
