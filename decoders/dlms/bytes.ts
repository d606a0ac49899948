/**
 * Small byte arrays carved from shared slabs. A typed array of more than 64 bytes gets its own off-heap
 * backing store in V8 (≈ 2.5 µs with its share of garbage collection); a view of a slab costs ≈ 0.2 µs, and
 * encoding an APDU, its ciphering and its frame each need one. Every region is handed out once and a slab
 * is new (zero-filled) when taken, so a view never shows bytes written for someone else. A view keeps its
 * slab alive, as Node's own Buffer pool does: slabs are small for that reason.
 */
const SLAB_SIZE = 8192;
/** Larger arrays get their own buffer: they would waste most of a slab. */
const MAX_POOLED = 1024;

let slab = new ArrayBuffer(0);
let used = 0;

/** A zero-filled Uint8Array of `length` bytes. */
export function allocBytes(length: number): Uint8Array {
  if (length > MAX_POOLED) return new Uint8Array(length);
  if (used + length > slab.byteLength) {
    slab = new ArrayBuffer(SLAB_SIZE);
    used = 0;
  }
  const out = new Uint8Array(slab, used, length);
  used += (length + 7) & ~7; // 8-byte aligned, as DataView users and typed views prefer
  return out;
}
