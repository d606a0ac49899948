/**
 * Coded errors of the M-Bus / wireless M-Bus codec. Decoding never throws anything else: every failure
 * names a stable code, the byte offset where it happened (in the telegram as given, -1 when not tied to
 * a position) and what was expected there.
 */
export type MbusErrorCode =
  | 'MBUS_ERR_TRUNCATED' // input ended before a declared length or a fixed field
  | 'MBUS_ERR_LENGTH' // a length field disagrees with the bytes present
  | 'MBUS_ERR_FRAME' // start/stop byte, checksum of a wired frame, or a link-layer field malformed
  | 'MBUS_ERR_CRC' // a CRC block of frame format A/B, or an ELL payload CRC, does not match
  | 'MBUS_ERR_CI' // a CI field this codec does not decode
  | 'MBUS_ERR_SECURITY' // a security mode or AFL layout this codec does not support
  | 'MBUS_ERR_KEY' // an encrypted telegram and no key for it
  | 'MBUS_ERR_DECRYPT' // the key does not open the telegram (2F 2F check or MAC failed)
  | 'MBUS_ERR_RECORD' // a data record is malformed (DIF/VIF chain, variable length, too many records)
  | 'MBUS_ERR_PROFILE' // the device's profile maps none of the telegram's records, or has no usable mbus section
  | 'MBUS_ERR_ENCODE'; // a value cannot be encoded as requested

export class MbusError extends Error {
  override readonly name = 'MbusError';
  constructor(
    readonly code: MbusErrorCode,
    message: string,
    readonly offset = -1,
  ) {
    super(offset >= 0 ? `${message} at offset ${offset}` : message);
  }
}

export function isMbusError(e: unknown): e is MbusError {
  return e instanceof MbusError;
}

/** The words an operator reads when a key does not fit (CLI exit 2, dead-letter reason). */
export const DECRYPTION_FAILED = 'decryption failed (check the key)';
