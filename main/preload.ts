import { contextBridge, ipcRenderer } from 'electron';
import { PUSH_CHANNELS } from './ipc-channels.js';
import type { DomPort } from './port-channel.js';
import { createShoalBridge } from './preload-bridge.js';

/**
 * The desktop window's preload (sandboxed, context-isolated; bundled by esbuild into one
 * CommonJS file, dist-electron/preload.cjs). It exposes exactly one object, `window.shoal`,
 * built by createShoalBridge: engine calls go over the MessagePort main hands us, native
 * actions over the fixed set of IPC channels in ipc-channels.ts.
 */
const bridge = createShoalBridge({
  platform: process.platform,
  invoke: (channel, ...args) => ipcRenderer.invoke(channel, ...args),
  onEnginePort(fn) {
    ipcRenderer.on(PUSH_CHANNELS.enginePort, (event) => {
      const port = event.ports[0] as unknown as DomPort | undefined;
      if (port) fn(port);
    });
  },
  onEngineDown(fn) {
    ipcRenderer.on(PUSH_CHANNELS.engineDown, () => fn());
  },
});

contextBridge.exposeInMainWorld('shoal', bridge);
