import type http from 'node:http';

/**
 * The headers every Web UI response carries, and the few ways it answers. The policy allows
 * only our own scripts and connections (no inline script anywhere, so an injected string can
 * never run), and no other site may frame us.
 */

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

export function securityHeaders(cacheControl = 'no-store'): Record<string, string> {
  return {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': cacheControl,
  };
}

export function sendHtml(res: http.ServerResponse, status: number, html: string, extra: Record<string, string | string[]> = {}): void {
  res.writeHead(status, {
    ...securityHeaders(),
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(html)),
    ...extra,
  });
  res.end(res.req?.method === 'HEAD' ? undefined : html);
}

/** 303: the browser follows with a GET whatever the method was (after a form POST). */
export function redirect(res: http.ServerResponse, location: string, extra: Record<string, string | string[]> = {}): void {
  res.writeHead(303, { ...securityHeaders(), Location: location, 'Content-Length': '0', ...extra });
  res.end();
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
  body { font: 15px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background: #f3f5f7; color: #1d2733; margin: 0; }
  main { max-width: 360px; margin: 12vh auto; background: #fff; padding: 28px 32px; border-radius: 8px; box-shadow: 0 2px 12px rgba(0,0,0,.08); }
  h1 { font-size: 20px; margin: 0 0 18px; }
  label { display: block; margin: 12px 0 4px; font-weight: 600; }
  input { width: 100%; box-sizing: border-box; padding: 8px 10px; font: inherit; border: 1px solid #b8c2cc; border-radius: 4px; }
  button { margin-top: 20px; width: 100%; padding: 9px; font: inherit; font-weight: 600; color: #fff; background: #1f6feb; border: 0; border-radius: 4px; cursor: pointer; }
  .problem { color: #b42318; background: #fef3f2; padding: 8px 10px; border-radius: 4px; margin: 0 0 8px; }
  code { background: #eef1f4; padding: 1px 5px; border-radius: 3px; }
`;

/** A complete small page: no script, styles inline (allowed by the policy above). */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export function messagePage(title: string, paragraphsHtml: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1>\n${paragraphsHtml}`);
}

/**
 * Send the login form. Its Referrer-Policy is `same-origin`, not `no-referrer`: under
 * no-referrer browsers send `Origin: null` with the form's POST, which the origin check must
 * refuse (a sandboxed frame on any site sends the same). same-origin still sends nothing to
 * other sites, and the page links nowhere else.
 */
export function sendLoginPage(res: http.ServerResponse, status: number, problem: string | null, login = '', extra: Record<string, string> = {}): void {
  sendHtml(res, status, loginPage(problem, login), { ...extra, 'Referrer-Policy': 'same-origin' });
}

/** The login form. `problem` and `login` are escaped; the password is never echoed back. */
export function loginPage(problem: string | null, login = ''): string {
  const problemHtml = problem ? `<p class="problem" role="alert">${escapeHtml(problem)}</p>\n` : '';
  return page(
    'Shoal — sign in',
    `<h1>Shoal</h1>
${problemHtml}<form method="post" action="/gui/login">
<label for="login">Login</label>
<input id="login" name="login" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="256" value="${escapeHtml(login)}"${login ? '' : ' autofocus'}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256"${login ? ' autofocus' : ''}>
<button type="submit">Sign in</button>
</form>`,
  );
}
