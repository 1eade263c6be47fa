import os from 'node:os';
import v8 from 'node:v8';

/**
 * How an engine process is started, wherever it runs: the `shoal` command's shebang line
 * (engine/cli.ts, which must say the same: test/process-tuning.test.ts checks it) and the
 * desktop app's utility process (main/electron/engine.ts).
 *
 * glibc's malloc settings (other C libraries ignore them) keep freed C memory from staying
 * resident: at most 2 malloc arenas instead of up to 8 per core (libuv, V8 and hash worker
 * threads each got one), and blocks of 128 KiB or more always mmap'ed, so freeing them
 * returns them (glibc otherwise raises that threshold to the largest block freed, and 2 MiB
 * read buffers then stay in the heap). Measured: ~10 MiB less RSS after indexing 10,000
 * files. A 2 MiB young generation keeps V8's heap small between bursts (V8's default grows to
 * 3 x 16 MiB); measured: 1 MiB gave the same resident memory after indexing 10,000 files
 * but, with objects promoted after a few milliseconds, cost a receiver of 10,000 files about
 * a tenth more CPU in garbage collection.
 */
export const ENGINE_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
};

export const ENGINE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

/**
 * On machines with at most two cores, JavaScript is optimized later: V8 optimizes a
 * function with TurboFan once it has run for an "interrupt budget" of bytecode, and 16 times
 * the default budget keeps the engine's JavaScript in the baseline tier (Sparkplug) far
 * longer. The engine's hot paths run in native code (ChaCha20, Poly1305, BLAKE3, the
 * chunker's WebAssembly, the kernel's copies) and its JavaScript is glue between them;
 * TurboFan's background compiles (~300 functions per daemon, ~0.6 CPU-s during a 1 GiB
 * first sync) then compete with the engine's own threads for the two cores. Measured on the
 * 2-core dev VM, alternating runs of the first sync of a 1 GiB file: 0.2-1 CPU-s less over
 * both daemons and 2.70-3.27 s instead of 3.00-3.74 s; indexing 1 GiB + 10,000 files
 * 1.23-1.70 s instead of 1.31-1.71 s; 10,000 small files unchanged (7.6-8.3 s against
 * 7.9-8.0 s, the engine threads doing ~0.3 CPU-s more in slower code while the background
 * compiles went away). With more cores those compiles run beside the engine for free and
 * the optimized code is worth having, so the default stays.
 */
export const FEW_CORES_FLAGS: readonly string[] = ['--interrupt-budget=1081344'];

/** The V8 flags an engine process sets for itself at start, given its number of cores. */
export function runtimeV8Flags(cores = os.availableParallelism()): readonly string[] {
  return cores <= 2 ? [...ENGINE_NODE_FLAGS, ...FEW_CORES_FLAGS] : ENGINE_NODE_FLAGS;
}

/**
 * Set the engine's V8 flags from inside the process, first thing at start: the `shoal`
 * command's shebang and the desktop's fork options give ENGINE_NODE_FLAGS, but the daemon
 * can also be started as `node cli.js`, and the flags that depend on the machine are set
 * only here. V8 reads them when it next sets up a function's tiering, so code that has not
 * run hot yet (all of the engine's, at start) follows them.
 */
export function applyRuntimeV8Flags(): void {
  for (const flag of runtimeV8Flags()) v8.setFlagsFromString(flag);
}
