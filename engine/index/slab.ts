/**
 * Small byte strings the index keeps for as long as it knows a path (chunk hashes of small
 * files, record signatures), carved from shared 8 KiB slabs instead of one allocation each.
 *
 * Why: every Buffer.alloc is a C-heap allocation plus a native BackingStore object. Ten
 * thousand kept ones, scattered among a scan's short-lived allocations, left ~15 MiB of the
 * C heap fragmented and resident after indexing. A slab holds nothing short-lived (unlike
 * Node's own buffer pool, shared with every transient allocUnsafe), so all it can waste is
 * the slots of hashes and signatures the index has since dropped.
 */
const SLAB_SIZE = 8 * 1024;
/** Larger pieces get their own allocation: they are rare and would waste slab tails. */
export const SLAB_PIECE_MAX = 256;

let slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
let used = 0;

/** `n` bytes (n <= SLAB_PIECE_MAX) of uninitialized, kept memory; the caller fills them. */
export function slabBytes(n: number): Buffer {
  if (n > SLAB_PIECE_MAX) return Buffer.alloc(n);
  if (used + n > SLAB_SIZE) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
    used = 0;
  }
  const piece = slab.subarray(used, used + n);
  used += n;
  return piece;
}

/** A kept copy of `src` (see slabBytes). */
export function keepBytes(src: Uint8Array): Buffer {
  const out = slabBytes(src.length);
  out.set(src);
  return out;
}
