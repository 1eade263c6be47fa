import type { ShoalBridge } from '../../engine/api/bridge.js';

declare global {
  interface Window {
    /** Set by the desktop app's preload; absent in a browser (the Web UI builds its own). */
    shoal?: ShoalBridge;
  }
}

export {};
