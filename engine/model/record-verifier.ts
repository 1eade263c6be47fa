import { SIG_BYTES, signedBytes, verifyRecord, type FileRecord } from './record.js';
import { verifyThread } from './verify-thread.js';

/**
 * Checks the signatures of records peers send (record.ts verifyRecord), in batches on the
 * verify thread (verify-thread.ts) when there are many: a first sync of 10,000 files
 * brings 10,000 signatures, ~0.4-0.8 s of Ed25519 on the engine's thread, which is the
 * busiest thread of a receiving device. A few records are checked right here: a trip to
 * the worker would only add latency to a single changed file.
 *
 * If the worker cannot run or dies, the records are checked on this thread instead: a
 * verdict is never skipped.
 */
export const WORKER_FROM = 16;
/** Records per message to the worker (replies come back batch by batch). */
const BATCH = 512;

class RecordVerifier {
  /** Records checked on the worker so far (tests). */
  checkedOnWorker = 0;

  /** verdicts[i]: does records[i] carry a valid signature of the folder's key? */
  async verify(folderId: Buffer, publicKey: Buffer, records: readonly FileRecord[]): Promise<boolean[]> {
    if (records.length < WORKER_FROM) return records.map((r) => verifyRecord(folderId, publicKey, r));
    const parts: Promise<boolean[]>[] = [];
    for (let i = 0; i < records.length; i += BATCH) parts.push(this.verifyBatch(folderId, publicKey, records.slice(i, i + BATCH)));
    return (await Promise.all(parts)).flat();
  }

  private async verifyBatch(folderId: Buffer, publicKey: Buffer, records: readonly FileRecord[]): Promise<boolean[]> {
    // A signature of the wrong length fails without a check, as in verifyRecord.
    const messages = records.map((r) => (r.sig.length === SIG_BYTES ? signedBytes(folderId, r) : null));
    let bytes = 0;
    let count = 0;
    for (const m of messages) {
      if (!m) continue;
      bytes += 4 + m.length + SIG_BYTES;
      count++;
    }
    const packed = Buffer.allocUnsafeSlow(bytes);
    let at = 0;
    messages.forEach((m, i) => {
      if (!m) return;
      packed.writeUInt32BE(m.length, at);
      m.copy(packed, at + 4);
      records[i]!.sig.copy(packed, at + 4 + m.length);
      at += 4 + m.length + SIG_BYTES;
    });
    let ok: Uint8Array;
    try {
      ok = await this.send(publicKey, packed, count);
    } catch {
      return records.map((r) => verifyRecord(folderId, publicKey, r));
    }
    this.checkedOnWorker += count;
    let k = 0;
    return messages.map((m) => (m ? ok[k++] === 1 : false));
  }

  private send(publicKey: Buffer, packed: Buffer, count: number): Promise<Uint8Array> {
    return verifyThread.run({ publicKey: new Uint8Array(publicKey), packed, count }, [packed.buffer as ArrayBuffer]);
  }
}

export const recordVerifier = new RecordVerifier();
