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
