#!/usr/bin/env node
// Generates Shoal's icons from a small vector description (pngjs, no other tools):
//   assets/icon.png (1024), assets/icons/NxN.png (Linux), assets/icon.ico (Windows, 16–256),
//   assets/tray/<state>Template.png + @2x (macOS menu bar: black + alpha),
//   assets/tray/<state>.ico (Windows tray, 16–64), assets/tray/<state>.png (Linux tray, 32).
// The mark is a small shoal: fish swimming right. Run `node scripts/make-icons.mjs`; the
// outputs are committed. `--preview FILE` also writes an enlarged contact sheet to look at.
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const assets = path.join(root, 'assets');

// ---- shapes in unit coordinates (0..1, y down)

const ellipse = (cx, cy, rx, ry) => (x, y) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
const circle = (cx, cy, r) => ellipse(cx, cy, r, r);
const polygon = (pts) => (x, y) => {
  let inside = false;
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const [xi, yi] = pts[i];
    const [xj, yj] = pts[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
};
const union = (...shapes) => (x, y) => shapes.some((s) => s(x, y));
const minus = (a, b) => (x, y) => a(x, y) && !b(x, y);
const roundRect = (x0, y0, x1, y1, r) => (x, y) => {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const dx = Math.max(x0 + r - x, 0, x - (x1 - r));
  const dy = Math.max(y0 + r - y, 0, y - (y1 - r));
  return dx * dx + dy * dy <= r * r;
};
const segment = (ax, ay, bx, by, w) => (x, y) => {
  const vx = bx - ax, vy = by - ay;
  const t = Math.max(0, Math.min(1, ((x - ax) * vx + (y - ay) * vy) / (vx * vx + vy * vy)));
  return (x - ax - t * vx) ** 2 + (y - ay - t * vy) ** 2 <= (w / 2) ** 2;
};
/** Ring between radii r0..r1, from angle a0 to a1 (radians, clockwise from +x, y down). */
const arc = (cx, cy, r0, r1, a0, a1) => (x, y) => {
  const d = Math.hypot(x - cx, y - cy);
  if (d < r0 || d > r1) return false;
  let a = Math.atan2(y - cy, x - cx);
  while (a < a0) a += 2 * Math.PI;
  return a <= a1;
};

/** A fish swimming right: body centre (cx, cy), length L (nose to tail tip). */
function fish(cx, cy, L, { eye = true } = {}) {
  const bodyRx = 0.36 * L;
  const bodyRy = 0.21 * L;
  const bx = cx + 0.14 * L;
  const body = ellipse(bx, cy, bodyRx, bodyRy);
  const tail = polygon([
    [bx - bodyRx * 0.72, cy],
    [cx - 0.5 * L, cy - 0.2 * L],
    [cx - 0.42 * L, cy],
    [cx - 0.5 * L, cy + 0.2 * L],
  ]);
  const shape = union(body, tail);
  return eye ? { shape, eye: circle(bx + bodyRx * 0.52, cy - bodyRy * 0.22, 0.045 * L) } : { shape, eye: null };
}

// ---- rasterizer: ops applied per sample, supersampled

/** ops: { shape, color: [r,g,b,a] } paints over; { shape, clear: true } erases. color may be (x,y)=>rgba. */
function render(size, ops, ss = size >= 256 ? 3 : 5) {
  const png = new PNG({ width: size, height: size });
  const n = ss * ss;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let R = 0, G = 0, B = 0, A = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const x = (px + (sx + 0.5) / ss) / size;
          const y = (py + (sy + 0.5) / ss) / size;
          let r = 0, g = 0, b = 0, a = 0; // premultiplied
          for (const op of ops) {
            if (!op.shape(x, y)) continue;
            if (op.clear) {
              r = g = b = a = 0;
              continue;
            }
            const c = typeof op.color === 'function' ? op.color(x, y) : op.color;
            const ca = c[3] / 255;
            r = c[0] * ca + r * (1 - ca);
            g = c[1] * ca + g * (1 - ca);
            b = c[2] * ca + b * (1 - ca);
            a = ca + a * (1 - ca);
          }
          R += r; G += g; B += b; A += a;
        }
      }
      const i = (py * size + px) * 4;
      const alpha = A / n;
      png.data[i] = alpha > 0 ? Math.round(R / n / alpha) : 0;
      png.data[i + 1] = alpha > 0 ? Math.round(G / n / alpha) : 0;
      png.data[i + 2] = alpha > 0 ? Math.round(B / n / alpha) : 0;
      png.data[i + 3] = Math.round(alpha * 255);
    }
  }
  return png;
}

const encode = (png) => PNG.sync.write(png, { colorType: 6 });

/** An ICO container holding PNG frames (Windows Vista+ reads PNG-compressed entries). */
function ico(frames) {
  const header = Buffer.alloc(6 + 16 * frames.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(frames.length, 4);
  let offset = header.length;
  frames.forEach(({ size, data }, k) => {
    const e = 6 + 16 * k;
    header.writeUInt8(size >= 256 ? 0 : size, e);
    header.writeUInt8(size >= 256 ? 0 : size, e + 1);
    header.writeUInt8(0, e + 2);
    header.writeUInt8(0, e + 3);
    header.writeUInt16LE(1, e + 4);
    header.writeUInt16LE(32, e + 6);
    header.writeUInt32LE(data.length, e + 8);
    header.writeUInt32LE(offset, e + 12);
    offset += data.length;
  });
  return Buffer.concat([header, ...frames.map((f) => f.data)]);
}

// ---- the app icon

const mix = (a, b, t) => a.map((v, i) => Math.round(v + (b[i] - v) * t));
const TOP = [38, 190, 214, 255];
const BOTTOM = [10, 72, 122, 255];
const WHITE = [255, 255, 255, 255];

function appIconOps() {
  const bg = roundRect(0.06, 0.06, 0.94, 0.94, 0.2);
  const big = fish(0.57, 0.56, 0.5);
  const upper = fish(0.33, 0.33, 0.3);
  const lower = fish(0.3, 0.74, 0.26);
  const ops = [{ shape: bg, color: (x, y) => mix(TOP, BOTTOM, Math.min(1, Math.max(0, (y - 0.06) / 0.88))) }];
  // two soft waves low in the tile
  ops.push({ shape: (x, y) => bg(x, y) && y > 0.86 + 0.025 * Math.sin(x * 14), color: [255, 255, 255, 40] });
  for (const f of [upper, lower, big]) {
    ops.push({ shape: f.shape, color: WHITE });
    ops.push({ shape: f.eye, color: (x, y) => mix(TOP, BOTTOM, y) });
  }
  return ops;
}

// ---- tray icons

const TRAY_STATES = ['idle', 'syncing', 'paused', 'error', 'disconnected'];
const COLORS = {
  fish: [22, 150, 196, 255],
  dim: [138, 148, 156, 255],
  syncing: [37, 118, 230, 255],
  paused: [232, 150, 20, 255],
  error: [214, 48, 39, 255],
};

/** Badge in the lower right: a disc with a glyph knocked out, with a clear gap around it. */
const BADGE = { cx: 0.75, cy: 0.75, r: 0.25, gap: 0.065 };
function badgeGlyph(state) {
  const { cx, cy, r } = BADGE;
  if (state === 'paused') {
    return union(segment(cx - 0.075, cy - 0.12, cx - 0.075, cy + 0.12, 0.085), segment(cx + 0.075, cy - 0.12, cx + 0.075, cy + 0.12, 0.085));
  }
  if (state === 'error') {
    return union(segment(cx, cy - 0.14, cx, cy + 0.03, 0.09), circle(cx, cy + 0.125, 0.05));
  }
  if (state === 'syncing') {
    // a circular arrow: 3/4 ring plus a head at its end
    const ring = arc(cx, cy, r * 0.3, r * 0.62, -Math.PI * 0.45, Math.PI * 1.1);
    const head = polygon([
      [cx - r * 0.12, cy - r * 0.9],
      [cx + r * 0.42, cy - r * 0.46],
      [cx - r * 0.12, cy - r * 0.02],
    ]);
    return union(ring, head);
  }
  return null;
}

function trayOps(state, { template }) {
  const big = fish(0.5, 0.33, 0.9, { eye: false });
  const small = fish(0.29, 0.76, 0.52, { eye: false });
  const marks = union(big.shape, small.shape);
  const dimmed = state === 'disconnected';
  const fishColor = template ? [0, 0, 0, dimmed ? 110 : 255] : dimmed ? COLORS.dim : COLORS.fish;
  const ops = [{ shape: marks, color: fishColor }];
  if (dimmed) {
    // a slash through the shoal, with a clear margin so it reads at 16 px
    ops.push({ shape: segment(0.1, 0.9, 0.9, 0.1, 0.22), clear: true });
    ops.push({ shape: segment(0.12, 0.88, 0.88, 0.12, 0.1), color: template ? [0, 0, 0, 255] : COLORS.dim });
    return ops;
  }
  const glyph = badgeGlyph(state);
  if (!glyph) return ops;
  const { cx, cy, r, gap } = BADGE;
  ops.push({ shape: circle(cx, cy, r + gap), clear: true });
  ops.push({ shape: circle(cx, cy, r), color: template ? [0, 0, 0, 255] : COLORS[state] });
  ops.push(template ? { shape: glyph, clear: true } : { shape: glyph, color: WHITE });
  return ops;
}

// ---- write everything

const written = [];
function write(rel, data) {
  const file = path.join(assets, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  written.push(rel);
}

const appOps = appIconOps();
const appPng = new Map();
for (const size of [16, 24, 32, 48, 64, 128, 256, 512, 1024]) appPng.set(size, encode(render(size, appOps)));
write('icon.png', appPng.get(1024));
for (const size of [16, 32, 48, 64, 128, 256, 512]) write(`icons/${size}x${size}.png`, appPng.get(size));
write('icon.ico', ico([16, 24, 32, 48, 64, 128, 256].map((size) => ({ size, data: appPng.get(size) }))));

const trayPngs = {};
for (const state of TRAY_STATES) {
  const tOps = trayOps(state, { template: true });
  const cOps = trayOps(state, { template: false });
  write(`tray/${state}Template.png`, encode(render(16, tOps)));
  write(`tray/${state}Template@2x.png`, encode(render(32, tOps)));
  write(`tray/${state}.png`, encode(render(32, cOps)));
  write(`tray/${state}.ico`, ico([16, 20, 24, 32, 40, 48, 64].map((size) => ({ size, data: encode(render(size, cOps)) }))));
  trayPngs[state] = { t16: render(16, tOps), t32: render(32, tOps), c16: render(16, cOps), c32: render(32, cOps) };
}

// Optional contact sheet: each tray icon at 16 and 32 px, scaled ×8 / ×4, on light and dark.
const previewAt = process.argv.indexOf('--preview');
if (previewAt > 0) {
  const cell = 128;
  const sheet = new PNG({ width: cell * TRAY_STATES.length, height: cell * 8 });
  const bgs = [[240, 240, 240], [40, 40, 40]];
  const rows = [];
  for (const bg of bgs) for (const k of ['t16', 't32', 'c16', 'c32']) rows.push({ bg, k });
  rows.forEach(({ bg, k }, row) => {
    TRAY_STATES.forEach((state, col) => {
      const src = trayPngs[state][k];
      const scale = cell / src.width;
      for (let y = 0; y < cell; y++) {
        for (let x = 0; x < cell; x++) {
          const si = (Math.floor(y / scale) * src.width + Math.floor(x / scale)) * 4;
          let [r, g, b] = [src.data[si], src.data[si + 1], src.data[si + 2]];
          const a = src.data[si + 3] / 255;
          // template images are shown as macOS does: black on light, white on dark
          if (k.startsWith('t') && bg[0] < 128) [r, g, b] = [255, 255, 255];
          const di = ((row * cell + y) * sheet.width + col * cell + x) * 4;
          sheet.data[di] = Math.round(r * a + bg[0] * (1 - a));
          sheet.data[di + 1] = Math.round(g * a + bg[1] * (1 - a));
          sheet.data[di + 2] = Math.round(b * a + bg[2] * (1 - a));
          sheet.data[di + 3] = 255;
        }
      }
    });
  });
  fs.writeFileSync(process.argv[previewAt + 1], PNG.sync.write(sheet));
}

console.log(`make-icons: wrote ${written.length} files under assets/`);
