/**
 * JSON with comments, as in BitTorrent Sync's sample config: `// line` and `/* block *\/`
 * comments outside strings are allowed; everything else is strict JSON (no trailing commas),
 * so a config that parses here also parses in any JSON tool once comments are removed.
 */

export class JsoncError extends Error {}

/** Replace comments with spaces so JSON.parse positions still point into the original text. */
export function stripComments(text: string): string {
  let out = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '"') {
      // Copy a whole string literal, honouring escapes, so "http://x" is not a comment.
      const start = i++;
      while (i < n && text[i] !== '"' && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
      i = Math.min(i + 1, n);
      out += text.slice(start, i);
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') {
        out += ' ';
        i++;
      }
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new JsoncError(`unterminated /* comment at ${lineCol(text, i)}`);
      // Keep newlines so line numbers in later errors stay right.
      out += text.slice(i, end + 2).replace(/[^\n]/g, ' ');
      i = end + 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

export function parseJsonc(text: string): unknown {
  const clean = stripComments(text.replace(/^\uFEFF/, ''));
  try {
    return JSON.parse(clean);
  } catch (err) {
    const msg = (err as Error).message;
    // V8 reports "... at position N"; turn it into line:column a person can find.
    const m = /position (\d+)/.exec(msg);
    const where = m ? ` at ${lineCol(clean, Number(m[1]))}` : '';
    const what = msg.replace(/ in JSON at position \d+.*$/, '').replace(/ at position \d+.*$/, '');
    throw new JsoncError(`invalid JSON${where}: ${what}`);
  }
}

function lineCol(text: string, pos: number): string {
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return `line ${line}, column ${col}`;
}
