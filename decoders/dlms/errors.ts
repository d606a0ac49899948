/**
 * Coded errors of the DLMS/COSEM codec. Decoding never throws anything else: every failure names a
 * stable code, the byte offset where it happened and what was expected there.
 */
export type DlmsErrorCode =
  | 'DLMS_ERR_TRUNCATED' // input ended before a declared length or a fixed field
  | 'DLMS_ERR_LENGTH' // a declared length is invalid or exceeds what the container allows
  | 'DLMS_ERR_TAG' // unknown or unexpected tag / choice
  | 'DLMS_ERR_VALUE' // a field holds a value outside its range
  | 'DLMS_ERR_TRAILING' // bytes left after a complete structure
  | 'DLMS_ERR_DEPTH' // nesting deeper than the codec allows
  | 'DLMS_ERR_HDLC_FORMAT' // HDLC flag, format type or address malformed
  | 'DLMS_ERR_HDLC_HCS' // HDLC header check sequence mismatch
  | 'DLMS_ERR_HDLC_FCS' // HDLC frame check sequence mismatch
  | 'DLMS_ERR_WRAPPER' // wrapper header malformed
  | 'DLMS_ERR_MODE_E' // IEC 62056-21 mode E opening message malformed
  | 'DLMS_ERR_SECURITY' // ciphering: bad security header, key or authentication tag
  | 'DLMS_ERR_REPLAY' // invocation counter not greater than the last one seen
  | 'DLMS_ERR_STATE' // connection: event not allowed in the current state
  | 'DLMS_ERR_ENCODE'; // a value cannot be encoded as the requested type

export class DlmsError extends Error {
  override readonly name = 'DlmsError';
  constructor(
    readonly code: DlmsErrorCode,
    message: string,
    /** Byte offset in the input where decoding failed (-1 when not tied to an input position). */
    readonly offset = -1,
  ) {
    super(offset >= 0 ? `${message} at offset ${offset}` : message);
  }
}

export function isDlmsError(e: unknown): e is DlmsError {
  return e instanceof DlmsError;
}
