#!/usr/bin/env node
// Builds the engine's optional native accelerators, engine/native/*.c (see shoal-native.h),
// into build/native/shoal-native.node (npm runs this after install). It needs a C compiler
// and Node's own headers, which Node ships (include/node, OpenSSL's included); nothing is
// downloaded. Without them the engine uses its fallbacks (libsodium for the same ChaCha20,
// fsync per file instead of syncfs per batch), so this never fails an install: it says what
// it did and exits 0. `--require` makes a missing module an error (CI, where it must be built).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const sources = ['module.c', 'chacha20.c', 'aes-ctr.c', 'syncfs.c'].map((f) => path.join(root, 'engine/native', f));
const outDir = path.join(root, 'build/native');
const out = path.join(outDir, 'shoal-native.node');
const required = process.argv.includes('--require');

function done(message, ok) {
  console.log(`build-native: ${message}`);
  process.exit(ok || !required ? 0 : 1);
}

const include = path.join(path.dirname(process.execPath), '..', 'include', 'node');
if (!fs.existsSync(path.join(include, 'node_api.h')) || !fs.existsSync(path.join(include, 'openssl', 'evp.h'))) {
  done(`skipped: no Node headers at ${include}; the engine uses its fallbacks`, false);
}
const linkFlags = {
  linux: ['-shared', '-Wl,-z,now'],
  darwin: ['-bundle', '-undefined', 'dynamic_lookup'],
}[process.platform];
if (!linkFlags) done(`skipped on ${process.platform}: the engine uses its fallbacks`, false);

fs.mkdirSync(outDir, { recursive: true });
const tmp = path.join(outDir, `.shoal-native.${process.pid}.node`);
const cc = process.env.CC || 'cc';
const args = ['-O2', '-fPIC', '-fvisibility=hidden', '-Wall', '-Werror', '-I', include, ...sources, '-o', tmp, ...linkFlags];
const built = spawnSync(cc, args, { stdio: ['ignore', 'inherit', 'inherit'] });
if (built.error || built.status !== 0) {
  fs.rmSync(tmp, { force: true });
  done(`skipped: ${cc} failed (${built.error?.message ?? `exit ${built.status}`}); the engine uses its fallbacks`, false);
}

// Load it in a fresh process and compare it with libsodium before putting it in place.
const check = `
  const sodium = require('sodium-native');
  const m = require(${JSON.stringify(tmp)});
  const key = Buffer.alloc(32, 7), nonce = Buffer.alloc(12, 9);
  for (const n of [1, 63, 64, 65, 4096, 200003]) {
    const input = require('node:crypto').randomBytes(n);
    const a = Buffer.alloc(n), b = Buffer.alloc(n);
    m.xor(a, input, nonce, 1, key);
    sodium.crypto_stream_chacha20_ietf_xor_ic(b, input, nonce, 1, key);
    if (!a.equals(b)) { console.error('mismatch at ' + n); process.exit(1); }
  }
  for (const n of [1, 15, 16, 17, 4096, 200003]) {
    const input = require('node:crypto').randomBytes(n), iv = require('node:crypto').randomBytes(16);
    const a = Buffer.alloc(n);
    m.aesCtr(a, input, iv, key);
    const c = require('node:crypto').createCipheriv('aes-256-ctr', key, iv);
    const b = Buffer.concat([c.update(input), c.final()]);
    if (!a.equals(b)) { console.error('AES-CTR mismatch at ' + n); process.exit(1); }
  }
  if (process.platform === 'linux' && (typeof m.syncfs !== 'function' || m.syncfs(0) === undefined)) {
    console.error('syncfs missing'); process.exit(1);
  }`;
const loaded = spawnSync(process.execPath, ['-e', check], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
if (loaded.status !== 0) {
  fs.rmSync(tmp, { force: true });
  done('built but did not load or disagreed with libsodium or node:crypto: not installed; the engine uses its fallbacks', false);
}
fs.renameSync(tmp, out);
done(`built ${path.relative(root, out)} (${os.arch()}, Node ${process.versions.node}, OpenSSL ${process.versions.openssl})`, true);
