import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// One build for both shells: the daemon serves renderer/dist at /gui/ and the desktop window
// loads it from disk, so every asset URL is relative (base './'). No inline scripts: the Web
// UI's Content-Security-Policy allows only 'self' scripts.
const root = decodeURIComponent(new URL('.', import.meta.url).pathname);

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Inlined assets become data: URLs; keep scripts out of that (CSP script-src 'self').
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
  },
});
