import fs from 'node:fs';
import path from 'node:path';

/**
 * Start at login. macOS and Windows use app.setLoginItemSettings (electron/main.ts); Linux
 * has no such API, so an XDG autostart entry is written to ~/.config/autostart.
 */

export function linuxAutostartEntry(exec: string): string {
  const quoted = /[\s"'\\$`]/.test(exec) ? `"${exec.replace(/(["\\$`])/g, '\\$1')}"` : exec;
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Shoal',
    'Comment=Peer-to-peer folder sync',
    `Exec=${quoted} --hidden`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Write or remove `<configHome>/autostart/shoal.desktop`. Returns false when it could not. */
export function applyLinuxAutostart(enabled: boolean, configHome: string, exec: string): boolean {
  const file = path.join(configHome, 'autostart', 'shoal.desktop');
  try {
    if (enabled) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, linuxAutostartEntry(exec));
    } else {
      fs.rmSync(file, { force: true });
    }
    return true;
  } catch {
    return false;
  }
}
