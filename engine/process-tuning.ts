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
 *
 * V8 optimizes a function with TurboFan once it has run for an "interrupt budget" of
 * bytecode; 16 times the default budget leaves the engine's JavaScript in the baseline
 * tier (Sparkplug) far longer. The engine's hot paths run in native code (ChaCha20,
 * Poly1305, BLAKE3, the chunker's WebAssembly, the kernel's copies) and its JavaScript is
 * glue between them, which TurboFan made little faster while its background compiles took
 * a core's worth of CPU on a 2-core machine. Measured on the 2-core dev VM, alternating
 * runs: the first sync of a 1 GiB file took 2.70-2.95 s instead of 3.07-3.53 s, with
 * ~1 CPU-second less over both daemons (~310 optimized functions per daemon before); indexing
 * 1 GiB + 10,000 files 1.17-1.45 s instead of 1.31-1.83 s; 10,000 small files unchanged.
 * Code that stays hot still gets optimized, only later.
 */
export const ENGINE_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
};

export const ENGINE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--interrupt-budget=1081344'];
