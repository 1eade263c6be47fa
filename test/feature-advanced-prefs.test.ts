import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { generateSecret } from '../engine/secrets/secret.js';
import { readIf, share, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';

/** Advanced preferences that change behaviour beyond a single feature test elsewhere. */
describe('advanced preferences', () => {
  const engines: TestEngine[] = [];
  after(() => stopAll(engines));

  async function pair(prefsB: Record<string, unknown>): Promise<{ a: TestEngine; b: TestEngine; dirA: string; dirB: string; secret: string }> {
    const secret = generateSecret();
    const dirA = tempDir('shoal-adv-A-');
    const dirB = tempDir('shoal-adv-B-');
    const a = await startEngine({ name: 'A' });
    const b = await startEngine({ name: 'B', config: prefsB });
    engines.push(a, b);
    await share(a, dirA, secret, [b]);
    await share(b, dirB, secret, [a]);
    return { a, b, dirA, dirB, secret };
  }

  async function editTransfer(prefsB: Record<string, unknown>): Promise<number> {
    const { a, b, dirA, dirB, secret } = await pair(prefsB);
    const original = crypto.randomBytes(4 * 1024 * 1024);
    fs.writeFileSync(path.join(dirA, 'doc.bin'), original);
    await waitFor('first copy', () => readIf(path.join(dirB, 'doc.bin'))?.equals(original) === true);
    const before = (await b.engine.call('getFolderPeers', { secret }))[0]!.bytes_in;
    const edited = Buffer.concat([original.subarray(0, 2_000_000), Buffer.from('a small edit'), original.subarray(2_000_000)]);
    fs.writeFileSync(path.join(dirA, 'doc.bin'), edited);
    await waitFor('edit synced', () => readIf(path.join(dirB, 'doc.bin'))?.equals(edited) === true);
    const received = (await b.engine.call('getFolderPeers', { secret }))[0]!.bytes_in - before;
    await a.engine.close();
    await b.engine.close();
    return received;
  }

  it('max_file_size_diff_for_patching: an edit changing the size by more than it is fetched whole, otherwise only the changed chunks', async () => {
    const patched = await editTransfer({});
    const whole = await editTransfer({ max_file_size_diff_for_patching: 0 });
    assert.ok(patched < 1_000_000, `with patching only changed chunks move (got ${patched} bytes)`);
    assert.ok(whole > 4 * 1024 * 1024, `an edit changing the size by more than 0 MB is transferred whole (got ${whole} bytes)`);
  });

  it('disk_low_priority lowers the daemon process priority (and with it its disk priority on Linux)', async () => {
    const base = os.getPriority();
    for (const [low, expected] of [[true, Math.max(base, 10)], [false, base]] as const) {
      const home = tempDir('shoal-nice-');
      const config = path.join(home, 'config.json');
      fs.writeFileSync(config, JSON.stringify({
        device_name: 'N',
        storage_path: path.join(home, 'storage'),
        listening_port: 0,
        bind_address: '127.0.0.1',
        disk_low_priority: low,
        webui: { listen: '127.0.0.1:0', login: 'u', password: 'p' },
        folder_defaults: { search_lan: false },
      }));
      const child = spawn(process.execPath, ['--import', 'tsx', 'engine/cli.ts', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        await waitFor('daemon up', () => /listening/i.test(out) || fs.existsSync(path.join(home, 'storage', 'sync.log')), 20_000);
        await waitFor('engine started', () => (readIf(path.join(home, 'storage', 'sync.log'))?.toString() ?? '').includes('listening on port'), 20_000);
        const stat = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8');
        const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
        assert.equal(nice, expected, `disk_low_priority=${low}`);
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    }
  });
});
