/**
 * OMS security (OMS Vol. 2 §9, EN 13757-7 §9) on the TPL payload:
 *
 *   mode 0    none
 *   mode 5    AES-128-CBC, persistent key; IV = M(2) ID(4) version type (8 bytes) || ACC × 8; the first
 *             N × 16 bytes after the TPL header are encrypted (N = CF bits 4-7), the rest is plain;
 *             the plaintext starts with 2F 2F (the check a wrong key fails)
 *   mode 7    AES-128-CBC with IV = 0 and ephemeral keys from KDF-A (CF ext KDF selection 1):
 *               K_enc = CMAC(K, 0x00 || MCR(4, LE) || ID(4, LE) || 0x07 × 7)
 *               K_mac = CMAC(K, 0x01 || MCR || ID || 0x07 × 7)
 *             AFL.MAC = first n bytes of CMAC(K_mac, MCL || MCR || [ML] || TPL CI .. last byte)
 *   mode 13   TLS: out of scope (MBUS_ERR_SECURITY)
 *   others    (DES modes 2-4, CCM modes 8-10, ...): MBUS_ERR_SECURITY
 *
 * M, ID, version and type are the meter's: from a long TPL header when there is one, else from the
 * link layer (the ELL address names a gateway, not the meter). Comparisons of MACs are constant-time.
 */
import { AesKey, cbcDecrypt, cbcEncrypt, cmac } from './aes.js';
import { DECRYPTION_FAILED, MbusError } from './errors.js';

/** The meter's address as the IV and the KDF want it: ID(4) M(2) version type, LSB first as on the wire. */
export interface MeterAddress {
  /** Bytes `at..at+8` of `bytes` in the order of `order`. */
  bytes: Uint8Array;
  at: number;
  /** 'link': M(2) ID(4) version type (link layer, ELL); 'tpl': ID(4) M(2) version type (long TPL header, wired secondary address). */
  order: 'link' | 'tpl';
}

/** Mode 5 IV into `iv`: M(2) ID(4) version type || ACC × 8. */
export function mode5Iv(a: MeterAddress, accessNumber: number, iv: Uint8Array): Uint8Array {
  const b = a.bytes;
  const p = a.at;
  if (a.order === 'link') for (let k = 0; k < 8; k++) iv[k] = b[p + k]!;
  else {
    iv[0] = b[p + 4]!;
    iv[1] = b[p + 5]!;
    for (let k = 0; k < 4; k++) iv[2 + k] = b[p + k]!;
    iv[6] = b[p + 6]!;
    iv[7] = b[p + 7]!;
  }
  for (let k = 8; k < 16; k++) iv[k] = accessNumber;
  return iv;
}

/** Position of the 4 ID bytes in a meter address. */
const idAt = (a: MeterAddress): number => a.at + (a.order === 'link' ? 2 : 0);

/** Mode 7 ephemeral keys (KDF-A). */
export function mode7Keys(key: AesKey, counterBytes: Uint8Array, counterAt: number, a: MeterAddress): { enc: AesKey; mac: AesKey } {
  const input = new Uint8Array(16).fill(0x07);
  input.set(counterBytes.subarray(counterAt, counterAt + 4), 1);
  const id = idAt(a);
  input.set(a.bytes.subarray(id, id + 4), 5);
  input[0] = 0x00;
  const enc = new AesKey(cmac(key, input));
  input[0] = 0x01;
  const mac = new AesKey(cmac(key, input));
  return { enc, mac };
}

/** The AFL MAC input and CMAC: MCL || MCR || [ML] || the TPL from its CI to the end. */
export function aflMac(kmac: AesKey, b: Uint8Array, mcl: number, counterAt: number, lengthAt: number, tplAt: number, end: number): Uint8Array {
  const ml = lengthAt >= 0 ? 2 : 0;
  const input = new Uint8Array(5 + ml + end - tplAt);
  input[0] = mcl;
  input.set(b.subarray(counterAt, counterAt + 4), 1);
  if (ml) input.set(b.subarray(lengthAt, lengthAt + 2), 5);
  input.set(b.subarray(tplAt, end), 5 + ml);
  return cmac(kmac, input);
}

export function macEqual(a: Uint8Array, b: Uint8Array, bAt: number, n: number): boolean {
  let d = 0;
  for (let i = 0; i < n; i++) d |= a[i]! ^ b[bAt + i]!;
  return d === 0;
}

const ZERO_IV = new Uint8Array(16);

/**
 * Decrypts `blocks` × 16 bytes at `b[at]` into `out[0..]` and checks the 2F 2F that starts the plaintext.
 * `iv` null: mode 7 (zero IV).
 */
export function decryptPayload(key: AesKey, iv: Uint8Array | null, b: Uint8Array, at: number, blocks: number, out: Uint8Array): void {
  const n = blocks * 16;
  if (at + n > b.length) throw new MbusError('MBUS_ERR_LENGTH', `CF says ${blocks} encrypted blocks (${n} bytes) but ${b.length - at} bytes follow the header`, at);
  cbcDecrypt(key, iv ?? ZERO_IV, b, at, n, out, 0);
  if (n > 0 && (out[0] !== 0x2f || out[1] !== 0x2f)) throw new MbusError('MBUS_ERR_DECRYPT', `${DECRYPTION_FAILED}: the plaintext does not start with 2F 2F`, at);
}

/** Encrypts `plain` (whole blocks) for mode 5 (`iv`) or mode 7 (`iv` null) into `out[at..]`. */
export function encryptPayload(key: AesKey, iv: Uint8Array | null, plain: Uint8Array, out: Uint8Array, at: number): void {
  cbcEncrypt(key, iv ?? ZERO_IV, plain, 0, plain.length, out, at);
}
