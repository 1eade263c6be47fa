import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../engine/daemon/config.js';
import { readOnlySecretOf } from '../engine/secrets/secret.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-cli-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function shoal(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'engine/cli.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('shoal command', () => {
  it('--help prints usage and exits 0', () => {
    const r = shoal('--help');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: shoal/);
    assert.match(r.stdout, /--config FILE/);
  });

  it('no option or an unknown one: usage error, exit 2', () => {
    assert.equal(shoal().code, 2);
    const r = shoal('--frobnicate');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Unknown option '--frobnicate'/);
  });

  it('--version prints the package version', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    assert.equal(shoal('--version').stdout.trim(), `shoal ${pkg.version}`);
  });

  it('--generate-secret prints a fresh A… secret', () => {
    const a = shoal('--generate-secret');
    const b = shoal('--generate-secret');
    assert.equal(a.code, 0);
    assert.match(a.stdout, /^A[A-Z2-7]{32}\n$/);
    assert.notEqual(a.stdout, b.stdout);
  });

  it('--get-ro-secret prints the B… secret; a bad secret exits 2 with a message', () => {
    const secret = shoal('--generate-secret').stdout.trim();
    const r = shoal('--get-ro-secret', secret);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^B[A-Z2-7]+\n$/);
    assert.equal(r.stdout.trim(), readOnlySecretOf(secret));
    const bad = shoal('--get-ro-secret', 'Anotasecret');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^shoal: .*secret/);
    assert.equal(bad.stdout, '');
  });

  it('--dump-sample-config output loads with loadConfig', () => {
    const r = shoal('--dump-sample-config');
    assert.equal(r.code, 0);
    const file = path.join(tmp, 'sample.json');
    fs.writeFileSync(file, r.stdout);
    assert.equal(loadConfig(file).webui.listen, '127.0.0.1:8888');
  });

  it('--config with a broken file exits non-zero at once, naming the file and problem', () => {
    const file = path.join(tmp, 'broken.json');
    fs.writeFileSync(file, '{ "listening_port": "high" }');
    const started = Date.now();
    const r = shoal('--config', file);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `shoal: ${file}: listening_port: expected number, received string\n`);
    assert.ok(Date.now() - started < 10_000);
    const missing = shoal('--config', path.join(tmp, 'absent.json'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /absent\.json: file not found/);
  });
});
