/**
 * Where secrets travel in plain in a frame (the LLS password of an AARQ, HLS responses sent unciphered),
 * and the frame with them masked. The exchange log and the wire trace (hes.frames.wire) both mask through
 * these, so what one hides the other hides too.
 */

/** Secrets shorter than this would match ordinary data by chance: they are not searched. */
export const SECRET_MIN_BYTES = 4;

/** Whether byte `i` of `bytes` lies inside an occurrence of one of `secrets`. */
export function secretBytes(bytes: Uint8Array, secrets: readonly Uint8Array[]): boolean[] {
  const hidden = new Array<boolean>(bytes.length).fill(false);
  for (const s of secrets) {
    if (s.length < SECRET_MIN_BYTES) continue;
    for (let i = 0; i + s.length <= bytes.length; i++) {
      let j = 0;
      while (j < s.length && bytes[i + j] === s[j]) j++;
      if (j === s.length) hidden.fill(true, i, i + s.length);
    }
  }
  return hidden;
}

/** `bytes` with every byte of every secret occurrence replaced by '*' (0x2a); the same array when none occurs. */
export function maskSecrets(bytes: Uint8Array, secrets: readonly Uint8Array[]): Uint8Array {
  const hidden = secretBytes(bytes, secrets);
  if (!hidden.includes(true)) return bytes;
  return Uint8Array.from(bytes, (b, i) => (hidden[i] ? 0x2a : b));
}
