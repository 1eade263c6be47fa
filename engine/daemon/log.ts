import fs from 'node:fs';
import path from 'node:path';

/**
 * sync.log: one line per event, `ISO-time LEVEL msg {json fields}`, rotated to sync.log.old
 * past `maxBytes` (so at most twice log_size is ever on disk). Writes are synchronous through
 * one fd: the rate is low, and a line written just before a crash is exactly the one needed.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export interface FileLoggerOptions {
  /** Log file path, e.g. storage_path/sync.log. */
  file: string;
  /** Rotate when the file would grow past this (log_size MB * 2^20). */
  maxBytes: number;
  /** Lowest level written; default 'info'. */
  level?: LogLevel;
  /** Foreground mode: also echo warnings and errors here (default: nowhere). */
  echo?: NodeJS.WritableStream | null;
  clock?: () => number;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
/** Field names whose values are never written: a secret in a shared log would give away a folder. */
const SENSITIVE = /secret|password|api_key|signing|private/i;

export class FileLogger implements Logger {
  private fd: number | null;
  private size: number;
  private readonly minRank: number;

  constructor(private readonly opts: FileLoggerOptions) {
    this.minRank = RANK[opts.level ?? 'info'];
    fs.mkdirSync(path.dirname(opts.file), { recursive: true });
    this.fd = fs.openSync(opts.file, 'a', 0o600);
    this.size = fs.fstatSync(this.fd).size;
  }

  debug(msg: string, fields?: LogFields): void {
    this.write('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.write('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.write('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.write('error', msg, fields);
  }

  /** Further calls after close() are dropped, so late events during shutdown cannot throw. */
  close(): void {
    if (this.fd === null) return;
    fs.closeSync(this.fd);
    this.fd = null;
  }

  private write(level: LogLevel, msg: string, fields?: LogFields): void {
    if (RANK[level] < this.minRank) return;
    const line = formatLine(new Date((this.opts.clock ?? Date.now)()), level, msg, fields);
    if (this.opts.echo && RANK[level] >= RANK.warn) this.opts.echo.write(line);
    if (this.fd === null) return;
    const buf = Buffer.from(line);
    try {
      if (this.size > 0 && this.size + buf.length > this.opts.maxBytes) this.rotate();
      fs.writeSync(this.fd, buf);
      this.size += buf.length;
    } catch {
      // A full or failing disk must not take the sync engine down with it; the daemon's
      // own error handling reports disk problems through the engine.
    }
  }

  private rotate(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    let flags = 'a';
    try {
      fs.renameSync(this.opts.file, this.opts.file + '.old');
    } catch {
      flags = 'w'; // could not keep the old half: truncate rather than grow without bound
    }
    this.fd = fs.openSync(this.opts.file, flags, 0o600);
    this.size = 0;
  }
}

export function formatLine(at: Date, level: LogLevel, msg: string, fields?: LogFields): string {
  // One event per line, always: escape newlines a message might carry (paths can contain them).
  const text = msg.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
  const extra = fields && Object.keys(fields).length > 0 ? ' ' + safeJson(fields) : '';
  return `${at.toISOString()} ${level.toUpperCase()} ${text}${extra}\n`;
}

function safeJson(fields: LogFields): string {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(fields, function (this: Record<string, unknown>, key: string, value: unknown) {
      if (key && SENSITIVE.test(key) && value !== undefined && value !== null) return '[redacted]';
      // JSON.stringify has already applied toJSON(); look at the original to spot Buffers.
      const original = key ? this[key] : value;
      if (Buffer.isBuffer(original)) return `<${original.length} bytes>`;
      if (typeof value === 'bigint') return value.toString();
      if (value instanceof Error) {
        const code = (value as { code?: unknown }).code;
        return code === undefined ? { message: value.message } : { code, message: value.message };
      }
      if (typeof value === 'object' && value !== null) {
        if (seen.has(value)) return '[circular]';
        seen.add(value);
      }
      return value;
    });
  } catch {
    return '{"fields":"unserializable"}';
  }
}

/** Logger that drops everything (tests, library use). */
export const nullLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** Logger that keeps lines in memory (tests). */
export class MemoryLogger implements Logger {
  readonly lines: { level: LogLevel; msg: string; fields?: LogFields }[] = [];
  debug(msg: string, fields?: LogFields): void {
    this.lines.push({ level: 'debug', msg, fields });
  }
  info(msg: string, fields?: LogFields): void {
    this.lines.push({ level: 'info', msg, fields });
  }
  warn(msg: string, fields?: LogFields): void {
    this.lines.push({ level: 'warn', msg, fields });
  }
  error(msg: string, fields?: LogFields): void {
    this.lines.push({ level: 'error', msg, fields });
  }
}
