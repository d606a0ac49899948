/**
 * AES-128 (FIPS-197) with the modes OMS security uses, in plain TypeScript:
 *
 *   CBC decrypt / encrypt   security modes 5 and 7 (EN 13757-7 / OMS Vol. 2 §9): no padding, whole blocks
 *   CTR                     ELL encryption (CI 0x8D / 0x8F): keystream XOR, any length
 *   CMAC (RFC 4493)         mode 7: key derivation (KDF-A) and the AFL MAC
 *
 * Why not node:crypto: a wM-Bus telegram carries two to eight blocks, and creating a Cipher object per
 * telegram costs more than the whole decryption here (T-tables, round keys expanded once per meter key
 * and kept in an `AesKey`). CMAC has no node:crypto entry at all. The tests check every mode against
 * node:crypto and the published vectors.
 *
 * State words are big-endian (byte 0 is the most significant byte of word 0), the usual T-table layout.
 */
import { MbusError } from './errors.js';

const SBOX = new Uint8Array(256);
const INV_SBOX = new Uint8Array(256);
const TE0 = new Int32Array(256);
const TE1 = new Int32Array(256);
const TE2 = new Int32Array(256);
const TE3 = new Int32Array(256);
const TD0 = new Int32Array(256);
const TD1 = new Int32Array(256);
const TD2 = new Int32Array(256);
const TD3 = new Int32Array(256);

const xtime = (a: number): number => ((a << 1) ^ (a & 0x80 ? 0x1b : 0)) & 0xff;
function mul(a: number, b: number): number {
  let p = 0;
  for (; b; b >>= 1, a = xtime(a)) if (b & 1) p ^= a;
  return p;
}
const rotr8 = (w: number): number => (w >>> 8) | (w << 24);

{
  // S-box from the multiplicative inverse in GF(2^8) and the affine map.
  const rotl = (x: number, s: number): number => ((x << s) | (x >> (8 - s))) & 0xff;
  let p = 1;
  let q = 1;
  do {
    p = p ^ xtime(p); // p × 3
    q ^= q << 1; // q ÷ 3
    q ^= q << 2;
    q ^= q << 4;
    q &= 0xff;
    if (q & 0x80) q ^= 0x09;
    SBOX[p] = q ^ rotl(q, 1) ^ rotl(q, 2) ^ rotl(q, 3) ^ rotl(q, 4) ^ 0x63;
  } while (p !== 1);
  SBOX[0] = 0x63;
  for (let i = 0; i < 256; i++) INV_SBOX[SBOX[i]!] = i;
  for (let i = 0; i < 256; i++) {
    const s = SBOX[i]!;
    const e = (xtime(s) << 24) | (s << 16) | (s << 8) | (xtime(s) ^ s);
    TE0[i] = e;
    TE1[i] = rotr8(e);
    TE2[i] = rotr8(rotr8(e));
    TE3[i] = rotr8(rotr8(rotr8(e)));
    const v = INV_SBOX[i]!;
    const d = (mul(v, 14) << 24) | (mul(v, 9) << 16) | (mul(v, 13) << 8) | mul(v, 11);
    TD0[i] = d;
    TD1[i] = rotr8(d);
    TD2[i] = rotr8(rotr8(d));
    TD3[i] = rotr8(rotr8(rotr8(d)));
  }
}

const RCON = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36];

/** An AES-128 key with its round keys expanded for both directions: build once per meter key. */
export class AesKey {
  /** 44 words: encryption round keys. */
  readonly enc = new Int32Array(44);
  /** 44 words: decryption round keys (reverse order, InvMixColumns applied to rounds 1..9). */
  readonly dec = new Int32Array(44);

  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new MbusError('MBUS_ERR_KEY', `an AES-128 key is 16 bytes, got ${key.length}`);
    const w = this.enc;
    for (let i = 0; i < 4; i++) w[i] = (key[4 * i]! << 24) | (key[4 * i + 1]! << 16) | (key[4 * i + 2]! << 8) | key[4 * i + 3]!;
    for (let i = 4; i < 44; i++) {
      let t = w[i - 1]!;
      if (i % 4 === 0) {
        t = (SBOX[(t >>> 16) & 0xff]! << 24) | (SBOX[(t >>> 8) & 0xff]! << 16) | (SBOX[t & 0xff]! << 8) | SBOX[t >>> 24]!;
        t ^= RCON[i / 4 - 1]! << 24;
      }
      w[i] = w[i - 4]! ^ t;
    }
    const d = this.dec;
    for (let r = 0; r <= 10; r++) {
      for (let j = 0; j < 4; j++) {
        const x = w[4 * (10 - r) + j]!;
        d[4 * r + j] = r === 0 || r === 10
          ? x
          : TD0[SBOX[x >>> 24]!]! ^ TD1[SBOX[(x >>> 16) & 0xff]!]! ^ TD2[SBOX[(x >>> 8) & 0xff]!]! ^ TD3[SBOX[x & 0xff]!]!;
      }
    }
  }
}

const word = (b: Uint8Array, i: number): number => (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!;
function put(b: Uint8Array, i: number, w: number): void {
  b[i] = w >>> 24;
  b[i + 1] = w >>> 16;
  b[i + 2] = w >>> 8;
  b[i + 3] = w;
}

/** Encrypts the block `src[si..si+16)` into `dst[di..di+16)` (may be the same place). */
export function encryptBlock(k: AesKey, src: Uint8Array, si: number, dst: Uint8Array, di: number): void {
  const rk = k.enc;
  let s0 = word(src, si) ^ rk[0]!;
  let s1 = word(src, si + 4) ^ rk[1]!;
  let s2 = word(src, si + 8) ^ rk[2]!;
  let s3 = word(src, si + 12) ^ rk[3]!;
  for (let r = 4; r < 40; r += 4) {
    const t0 = TE0[s0 >>> 24]! ^ TE1[(s1 >>> 16) & 0xff]! ^ TE2[(s2 >>> 8) & 0xff]! ^ TE3[s3 & 0xff]! ^ rk[r]!;
    const t1 = TE0[s1 >>> 24]! ^ TE1[(s2 >>> 16) & 0xff]! ^ TE2[(s3 >>> 8) & 0xff]! ^ TE3[s0 & 0xff]! ^ rk[r + 1]!;
    const t2 = TE0[s2 >>> 24]! ^ TE1[(s3 >>> 16) & 0xff]! ^ TE2[(s0 >>> 8) & 0xff]! ^ TE3[s1 & 0xff]! ^ rk[r + 2]!;
    const t3 = TE0[s3 >>> 24]! ^ TE1[(s0 >>> 16) & 0xff]! ^ TE2[(s1 >>> 8) & 0xff]! ^ TE3[s2 & 0xff]! ^ rk[r + 3]!;
    s0 = t0;
    s1 = t1;
    s2 = t2;
    s3 = t3;
  }
  const last = (a: number, b: number, c: number, d: number, key: number): number =>
    ((SBOX[a >>> 24]! << 24) | (SBOX[(b >>> 16) & 0xff]! << 16) | (SBOX[(c >>> 8) & 0xff]! << 8) | SBOX[d & 0xff]!) ^ key;
  const o0 = last(s0, s1, s2, s3, rk[40]!);
  const o1 = last(s1, s2, s3, s0, rk[41]!);
  const o2 = last(s2, s3, s0, s1, rk[42]!);
  const o3 = last(s3, s0, s1, s2, rk[43]!);
  put(dst, di, o0);
  put(dst, di + 4, o1);
  put(dst, di + 8, o2);
  put(dst, di + 12, o3);
}

/** Decrypts the block `src[si..si+16)` into `dst[di..di+16)` (may be the same place). */
export function decryptBlock(k: AesKey, src: Uint8Array, si: number, dst: Uint8Array, di: number): void {
  const rk = k.dec;
  let s0 = word(src, si) ^ rk[0]!;
  let s1 = word(src, si + 4) ^ rk[1]!;
  let s2 = word(src, si + 8) ^ rk[2]!;
  let s3 = word(src, si + 12) ^ rk[3]!;
  for (let r = 4; r < 40; r += 4) {
    const t0 = TD0[s0 >>> 24]! ^ TD1[(s3 >>> 16) & 0xff]! ^ TD2[(s2 >>> 8) & 0xff]! ^ TD3[s1 & 0xff]! ^ rk[r]!;
    const t1 = TD0[s1 >>> 24]! ^ TD1[(s0 >>> 16) & 0xff]! ^ TD2[(s3 >>> 8) & 0xff]! ^ TD3[s2 & 0xff]! ^ rk[r + 1]!;
    const t2 = TD0[s2 >>> 24]! ^ TD1[(s1 >>> 16) & 0xff]! ^ TD2[(s0 >>> 8) & 0xff]! ^ TD3[s3 & 0xff]! ^ rk[r + 2]!;
    const t3 = TD0[s3 >>> 24]! ^ TD1[(s2 >>> 16) & 0xff]! ^ TD2[(s1 >>> 8) & 0xff]! ^ TD3[s0 & 0xff]! ^ rk[r + 3]!;
    s0 = t0;
    s1 = t1;
    s2 = t2;
    s3 = t3;
  }
  const last = (a: number, b: number, c: number, d: number, key: number): number =>
    ((INV_SBOX[a >>> 24]! << 24) | (INV_SBOX[(b >>> 16) & 0xff]! << 16) | (INV_SBOX[(c >>> 8) & 0xff]! << 8) | INV_SBOX[d & 0xff]!) ^ key;
  const o0 = last(s0, s3, s2, s1, rk[40]!);
  const o1 = last(s1, s0, s3, s2, rk[41]!);
  const o2 = last(s2, s1, s0, s3, rk[42]!);
  const o3 = last(s3, s2, s1, s0, rk[43]!);
  put(dst, di, o0);
  put(dst, di + 4, o1);
  put(dst, di + 8, o2);
  put(dst, di + 12, o3);
}

/** CBC decryption of `length` bytes (whole blocks) from `src[si..]` into `dst[di..]`; `src` and `dst` must not overlap. */
export function cbcDecrypt(k: AesKey, iv: Uint8Array, src: Uint8Array, si: number, length: number, dst: Uint8Array, di: number): void {
  if (length % 16 !== 0) throw new MbusError('MBUS_ERR_SECURITY', `CBC needs whole 16-byte blocks, got ${length} bytes`);
  for (let b = 0; b < length; b += 16) {
    decryptBlock(k, src, si + b, dst, di + b);
    const chain = b === 0 ? iv : src;
    const ci = b === 0 ? 0 : si + b - 16;
    for (let j = 0; j < 16; j++) dst[di + b + j]! ^= chain[ci + j]!;
  }
}

/** CBC encryption of `length` bytes (whole blocks) from `src[si..]` into `dst[di..]` (may be the same place). */
export function cbcEncrypt(k: AesKey, iv: Uint8Array, src: Uint8Array, si: number, length: number, dst: Uint8Array, di: number): void {
  if (length % 16 !== 0) throw new MbusError('MBUS_ERR_ENCODE', `CBC needs whole 16-byte blocks, got ${length} bytes`);
  const block = new Uint8Array(16);
  block.set(iv.subarray(0, 16));
  for (let b = 0; b < length; b += 16) {
    for (let j = 0; j < 16; j++) block[j]! ^= src[si + b + j]!;
    encryptBlock(k, block, 0, block, 0);
    dst.set(block, di + b);
  }
}

/**
 * CTR: XORs `length` bytes of `src[si..]` with the keystream AES(counter), AES(counter + 1), ... into
 * `dst[di..]`. The counter block increments as a 128-bit big-endian number.
 */
export function ctrXor(k: AesKey, counter: Uint8Array, src: Uint8Array, si: number, length: number, dst: Uint8Array, di: number): void {
  const ctr = Uint8Array.from(counter.subarray(0, 16));
  const stream = new Uint8Array(16);
  for (let b = 0; b < length; b += 16) {
    encryptBlock(k, ctr, 0, stream, 0);
    const n = Math.min(16, length - b);
    for (let j = 0; j < n; j++) dst[di + b + j] = src[si + b + j]! ^ stream[j]!;
    for (let j = 15; j >= 0 && ++ctr[j]! === 256; j--) ctr[j] = 0;
  }
}

function shiftLeft(b: Uint8Array): void {
  const carry = b[0]! & 0x80;
  for (let i = 0; i < 15; i++) b[i] = ((b[i]! << 1) | (b[i + 1]! >>> 7)) & 0xff;
  b[15] = (b[15]! << 1) & 0xff;
  if (carry) b[15]! ^= 0x87;
}

/** AES-CMAC (RFC 4493) of `msg`, 16 bytes into `out`. */
export function cmac(k: AesKey, msg: Uint8Array, out: Uint8Array = new Uint8Array(16)): Uint8Array {
  const sub = new Uint8Array(16);
  encryptBlock(k, sub, 0, sub, 0); // L = AES(K, 0^128)
  shiftLeft(sub); // K1
  const n = msg.length;
  const complete = n > 0 && n % 16 === 0;
  if (!complete) shiftLeft(sub); // K2
  const blocks = n === 0 ? 1 : Math.ceil(n / 16);
  const x = out;
  x.fill(0, 0, 16);
  for (let b = 0; b < blocks; b++) {
    const base = b * 16;
    if (b < blocks - 1) {
      for (let j = 0; j < 16; j++) x[j]! ^= msg[base + j]!;
    } else {
      for (let j = 0; j < 16; j++) {
        const at = base + j;
        const m = at < n ? msg[at]! : at === n ? 0x80 : 0;
        x[j]! ^= m ^ sub[j]!;
      }
    }
    encryptBlock(k, x, 0, x, 0);
  }
  return x;
}
