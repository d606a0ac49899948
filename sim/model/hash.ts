/**
 * Stateless pseudo-random numbers: a value is a pure function of (seed, key...), so any interval of
 * any meter can be generated again, in any order, without storing a generator state per meter.
 * The mixer is the 32-bit finaliser of MurmurHash3 applied to a running combination.
 */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of a seed and up to three integer keys (keys may exceed 32 bits: both halves count). */
export function hash32(seed: number, a: number, b = 0, c = 0): number {
  let h = fmix(seed ^ 0x9e3779b9);
  h = fmix(h ^ (a | 0));
  h = fmix(h ^ Math.floor(a / 0x100000000));
  h = fmix(h ^ (b | 0) ^ 0x7f4a7c15);
  return fmix(h ^ (c | 0) ^ 0x632be5ab);
}

/** Uniform in [0, 1). */
export function unit(seed: number, a: number, b = 0, c = 0): number {
  return hash32(seed, a, b, c) / 0x100000000;
}

/** The 32-bit seed of a string (a serial number, a profile name). */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return fmix(h >>> 0);
}
