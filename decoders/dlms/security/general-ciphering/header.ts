/**
 * The fields general-ciphering and general-signing open with (Green Book 9.5), all A-XDR OCTET STRINGs:
 *
 *   transaction-id, originator-system-title, recipient-system-title, date-time, other-information
 *
 * Their encoding (length || value of each) is authenticated as is: general-ciphering puts it in the
 * AAD after SC || AK, general-signing in the signed data.
 */
import type { Reader } from '../../axdr/reader.js';
import type { Writer } from '../../axdr/writer.js';

export interface GeneralHeader {
  transactionId: Uint8Array;
  originatorSystemTitle: Uint8Array;
  recipientSystemTitle: Uint8Array;
  /** Empty, or a COSEM date-time (12 octets). */
  dateTime: Uint8Array;
  otherInformation: Uint8Array;
}

export function readOctetString(r: Reader, what: string): Uint8Array {
  return r.bytes(r.length(`${what} length`), what);
}

export function writeOctetString(w: Writer, b: Uint8Array): void {
  w.length(b.length).bytes(b);
}

/** Reads the header and returns it with the bytes it was read from (a view), for the AAD. */
export function readGeneralHeader(r: Reader): { header: GeneralHeader; encoded: Uint8Array } {
  const start = r.pos;
  const header: GeneralHeader = {
    transactionId: readOctetString(r, 'transaction-id'),
    originatorSystemTitle: readOctetString(r, 'originator-system-title'),
    recipientSystemTitle: readOctetString(r, 'recipient-system-title'),
    dateTime: readOctetString(r, 'date-time'),
    otherInformation: readOctetString(r, 'other-information'),
  };
  return { header, encoded: r.buf.subarray(start, r.pos) };
}

export function writeGeneralHeader(w: Writer, v: GeneralHeader): void {
  writeOctetString(w, v.transactionId);
  writeOctetString(w, v.originatorSystemTitle);
  writeOctetString(w, v.recipientSystemTitle);
  writeOctetString(w, v.dateTime);
  writeOctetString(w, v.otherInformation);
}
