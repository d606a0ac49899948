/**
 * general-signing [223] (Green Book 9.5): the envelope only. Verifying the signature needs the
 * ECDSA keys of security suites 1 and 2, which this stack does not hold.
 *
 *   General-Signing ::= SEQUENCE
 *   {
 *     transaction-id           OCTET STRING,
 *     originator-system-title  OCTET STRING,
 *     recipient-system-title   OCTET STRING,
 *     date-time                OCTET STRING,
 *     other-information        OCTET STRING,
 *     content                  OCTET STRING,    the signed (possibly ciphered) APDU
 *     signature                OCTET STRING
 *   }
 *
 *   wire:  DF | 7 x (len | value)     (A-XDR)
 */
import { DlmsError } from '../../errors.js';
import type { Reader } from '../../axdr/reader.js';
import type { Writer } from '../../axdr/writer.js';
import { GENERAL_SIGNING, hex2 } from '../tags.js';
import { readGeneralHeader, readOctetString, writeGeneralHeader, writeOctetString, type GeneralHeader } from '../general-ciphering/header.js';

export interface GeneralSigningApdu extends GeneralHeader {
  type: 'general-signing';
  content: Uint8Array;
  signature: Uint8Array;
}

export function decodeGeneralSigning(r: Reader): GeneralSigningApdu {
  const at = r.pos;
  const tag = r.u8('general-signing tag');
  if (tag !== GENERAL_SIGNING) throw new DlmsError('DLMS_ERR_TAG', `expected general-signing (0xDF), got ${hex2(tag)}`, at);
  const { header } = readGeneralHeader(r);
  const content = readOctetString(r, 'content');
  const signature = readOctetString(r, 'signature');
  return { type: 'general-signing', ...header, content, signature };
}

export function encodeGeneralSigning(w: Writer, v: GeneralSigningApdu): void {
  w.u8(GENERAL_SIGNING);
  writeGeneralHeader(w, v);
  writeOctetString(w, v.content);
  writeOctetString(w, v.signature);
}
