#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=2
// The shebang's environment and flags are engine/process-tuning.ts's (why: see there).
import { parseArgs } from 'node:util';
import { loadConfigOrReport } from './daemon/lifecycle.js';
import { applyRuntimeV8Flags } from './process-tuning.js';
import { sampleConfigText } from './daemon/sample-config.js';
import { shoalVersion } from './daemon/version.js';
import { ShoalError } from './errors.js';
import { generateSecret, readOnlySecretOf } from './secrets/secret.js';

/**
 * The `shoal` command. Only argument parsing lives here; the daemon is engine/daemon/.
 * The daemon module (and with it the whole engine) is imported only for --config, after the
 * config has been validated: quick commands stay quick and config errors show at once.
 */

const USAGE = `Usage: shoal [option]

  --config FILE           run the daemon in the foreground with this config file
  --dump-sample-config    print a commented sample config file
  --generate-secret       print a new read-write (A...) folder secret
  --get-ro-secret SECRET  print the read-only (B...) secret of a read-write secret
  --version               print the version
  --help                  show this help

Stop the daemon with Ctrl-C, SIGTERM, or GET /api?method=shutdown.
`;

applyRuntimeV8Flags(); // process-tuning.ts: also when started as `node cli.js`, and by core count

async function main(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        'dump-sample-config': { type: 'boolean' },
        'generate-secret': { type: 'boolean' },
        'get-ro-secret': { type: 'string' },
        version: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`shoal: ${(err as Error).message}\nTry "shoal --help".\n`);
    return 2;
  }
  const chosen = Object.keys(values).filter((k) => values[k] !== undefined);
  if (chosen.length > 1) {
    process.stderr.write(`shoal: use one option at a time (got --${chosen.join(', --')})\n`);
    return 2;
  }

  if (values.help || chosen.length === 0) {
    (chosen.length === 0 ? process.stderr : process.stdout).write(USAGE);
    return chosen.length === 0 ? 2 : 0;
  }
  if (values.version) return print(`shoal ${shoalVersion()}`);
  if (values['dump-sample-config']) return print(sampleConfigText().trimEnd());
  if (values['generate-secret']) return print(generateSecret());
  if (typeof values['get-ro-secret'] === 'string') {
    try {
      return print(readOnlySecretOf(values['get-ro-secret']));
    } catch (err) {
      if (!(err instanceof ShoalError)) throw err;
      process.stderr.write(`shoal: ${err.message}\n`);
      return 2;
    }
  }
  if (typeof values.config === 'string') {
    const config = loadConfigOrReport(values.config);
    if (!config) return 1;
    const { runDaemon } = await import('./daemon/daemon.js');
    return runDaemon(values.config, config);
  }
  process.stderr.write(USAGE);
  return 2;
}

function print(line: string): number {
  process.stdout.write(line + '\n');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Leftover handles (sockets, timers) must not keep a finished daemon alive; an unref'd
    // timer fires only if something else still holds the event loop open.
    setTimeout(() => process.exit(code), 3000).unref();
  },
  (err: unknown) => {
    process.stderr.write(`shoal: unexpected error: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(1);
  },
);
