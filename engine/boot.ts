/**
 * Imported first by the `shoal` command, before anything touches the file system: libuv
 * sizes its thread pool once, at first use. Syncing many small files means many fsyncs in
 * flight; with libuv's default of 4 threads they queue behind each other (and behind chunk
 * reads and writes), so the daemon asks for more unless the user chose a size.
 */
process.env.UV_THREADPOOL_SIZE ??= '16';
