/**
 * XTEA (Needham & Wheeler, 1997) with 32 cycles (64 Feistel rounds): a 64-bit block cipher with a 128-bit key.
 * Words are big-endian: the block `v0 v1` and the key `k0 k1 k2 k3` are read from the bytes most significant
 * byte first, so key 000102030405060708090A0B0C0D0E0F enciphers 4142434445464748 to 497DF3D072612CB5.
 */
const DELTA = 0x9e3779b9;
const CYCLES = 32;

/** An expanded XTEA key: the four key words, ready to encipher blocks. */
export class XteaKey {
  readonly #k: Uint32Array;

  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new RangeError(`an XTEA key has 16 bytes, not ${key.length}`);
    const v = new DataView(key.buffer, key.byteOffset, 16);
    this.#k = Uint32Array.of(v.getUint32(0), v.getUint32(4), v.getUint32(8), v.getUint32(12));
  }

  /** Enciphers the 8-byte block at `src[at]` into `dst[to]` (may be the same place). */
  encipher(src: Uint8Array, at: number, dst: Uint8Array, to: number): void {
    const k = this.#k;
    let v0 = ((src[at]! << 24) | (src[at + 1]! << 16) | (src[at + 2]! << 8) | src[at + 3]!) >>> 0;
    let v1 = ((src[at + 4]! << 24) | (src[at + 5]! << 16) | (src[at + 6]! << 8) | src[at + 7]!) >>> 0;
    let sum = 0;
    for (let i = 0; i < CYCLES; i++) {
      v0 = (v0 + ((((v1 << 4) ^ (v1 >>> 5)) + v1) ^ (sum + k[sum & 3]!))) >>> 0;
      sum = (sum + DELTA) >>> 0;
      v1 = (v1 + ((((v0 << 4) ^ (v0 >>> 5)) + v0) ^ (sum + k[(sum >>> 11) & 3]!))) >>> 0;
    }
    put(dst, to, v0, v1);
  }

  /** The inverse of `encipher` (SMP-M uses only the forward direction; kept for the test vectors both ways). */
  decipher(src: Uint8Array, at: number, dst: Uint8Array, to: number): void {
    const k = this.#k;
    let v0 = ((src[at]! << 24) | (src[at + 1]! << 16) | (src[at + 2]! << 8) | src[at + 3]!) >>> 0;
    let v1 = ((src[at + 4]! << 24) | (src[at + 5]! << 16) | (src[at + 6]! << 8) | src[at + 7]!) >>> 0;
    let sum = Math.imul(DELTA, CYCLES) >>> 0;
    for (let i = 0; i < CYCLES; i++) {
      v1 = (v1 - ((((v0 << 4) ^ (v0 >>> 5)) + v0) ^ (sum + k[(sum >>> 11) & 3]!))) >>> 0;
      sum = (sum - DELTA) >>> 0;
      v0 = (v0 - ((((v1 << 4) ^ (v1 >>> 5)) + v1) ^ (sum + k[sum & 3]!))) >>> 0;
    }
    put(dst, to, v0, v1);
  }
}

function put(dst: Uint8Array, to: number, v0: number, v1: number): void {
  dst[to] = v0 >>> 24;
  dst[to + 1] = v0 >>> 16;
  dst[to + 2] = v0 >>> 8;
  dst[to + 3] = v0;
  dst[to + 4] = v1 >>> 24;
  dst[to + 5] = v1 >>> 16;
  dst[to + 6] = v1 >>> 8;
  dst[to + 7] = v1;
}
