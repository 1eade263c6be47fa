import type { ShoalBridge } from '../../../engine/api/bridge.js';

/**
 * Copy text: the desktop's native clipboard, else the async Clipboard API, else the old
 * selection trick, because the Clipboard API exists only in secure contexts and the Web UI
 * is often opened over plain http from another machine on the LAN.
 */
export async function copyText(bridge: ShoalBridge, text: string): Promise<void> {
  if (bridge.native) return bridge.native.copyText(text);
  if (typeof navigator !== 'undefined' && navigator.clipboard && window.isSecureContext) {
    try {
      return await navigator.clipboard.writeText(text);
    } catch {
      // permission refused or no focus: fall through to the selection trick
    }
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  const previous = document.activeElement as HTMLElement | null;
  document.body.appendChild(area);
  area.select();
  try {
    // Deprecated but still the only way without the Clipboard API.
    if (!document.execCommand('copy')) throw new Error('The browser refused to copy; select the text and copy it by hand.');
  } finally {
    area.remove();
    previous?.focus?.();
  }
}
