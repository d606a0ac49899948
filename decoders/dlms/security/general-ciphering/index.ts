/**
 * general-ciphering [221] (Green Book 9.5, 9.2.7.2.4.8):
 *
 *   General-Ciphering ::= SEQUENCE
 *   {
 *     transaction-id           OCTET STRING,
 *     originator-system-title  OCTET STRING,    the IV is built from it
 *     recipient-system-title   OCTET STRING,
 *     date-time                OCTET STRING,
 *     other-information        OCTET STRING,
 *     key-info                 Key-Info OPTIONAL,
 *     ciphered-content         OCTET STRING     SC || IC || information || [T]
 *   }
 *   Key-Info ::= CHOICE
 *   {
 *     identified-key  [0] SEQUENCE { key-id ENUMERATED { global-unicast-encryption-key (0),
 *                                                        global-broadcast-encryption-key (1) } },
 *     wrapped-key     [1] SEQUENCE { kek-id ENUMERATED { master-key (0) }, key-ciphered-data OCTET STRING },
 *     agreed-key      [2] SEQUENCE { key-parameters OCTET STRING, key-ciphered-data OCTET STRING }
 *   }
 *
 *   wire:  DD | 5 x (len | value) | 00 or 01 choice ... | len | ciphered-content     (A-XDR)
 *
 * The AAD is SC || AK || the five header fields as encoded (length || value); key-info is not in it.
 */
import { DlmsError } from '../../errors.js';
import type { Reader } from '../../axdr/reader.js';
import type { Writer } from '../../axdr/writer.js';
import { GENERAL_CIPHERING, hex2 } from '../tags.js';
import { readGeneralHeader, readOctetString, writeGeneralHeader, writeOctetString, type GeneralHeader } from './header.js';

export type KeyInfo =
  | { type: 'identified-key'; /** 0 global unicast, 1 global broadcast encryption key */ keyId: number }
  | { type: 'wrapped-key'; /** 0 master key (KEK) */ kekId: number; keyCipheredData: Uint8Array }
  | { type: 'agreed-key'; /** 0x01 C(1e, 1s ECC CDH), 0x02 C(0e, 2s ECC CDH) */ keyParameters: Uint8Array; keyCipheredData: Uint8Array };

export interface GeneralCipheringApdu extends GeneralHeader {
  type: 'general-ciphering';
  keyInfo?: KeyInfo;
  /** SC || IC || information || [tag]. */
  content: Uint8Array;
}

function readKeyInfo(r: Reader): KeyInfo | undefined {
  const at = r.pos;
  const present = r.u8('key-info presence flag');
  if (present === 0) return undefined;
  if (present !== 1) throw new DlmsError('DLMS_ERR_VALUE', `key-info presence flag must be 0 or 1, got ${present}`, at);
  const choiceAt = r.pos;
  const choice = r.u8('key-info choice');
  switch (choice) {
    case 0:
      return { type: 'identified-key', keyId: r.u8('key-id') };
    case 1:
      return { type: 'wrapped-key', kekId: r.u8('kek-id'), keyCipheredData: readOctetString(r, 'key-ciphered-data') };
    case 2:
      return { type: 'agreed-key', keyParameters: readOctetString(r, 'key-parameters'), keyCipheredData: readOctetString(r, 'key-ciphered-data') };
    default:
      throw new DlmsError('DLMS_ERR_TAG', `expected key-info choice 0 (identified), 1 (wrapped) or 2 (agreed), got ${choice}`, choiceAt);
  }
}

export function writeKeyInfo(w: Writer, k: KeyInfo | undefined): void {
  if (!k) {
    w.u8(0);
    return;
  }
  w.u8(1);
  switch (k.type) {
    case 'identified-key':
      w.u8(0).u8(k.keyId);
      return;
    case 'wrapped-key':
      w.u8(1).u8(k.kekId);
      writeOctetString(w, k.keyCipheredData);
      return;
    case 'agreed-key':
      w.u8(2);
      writeOctetString(w, k.keyParameters);
      writeOctetString(w, k.keyCipheredData);
      return;
  }
}

/** Decodes the APDU and returns the encoded header fields too (a view), which the AAD covers. */
export function readGeneralCiphering(r: Reader): { apdu: GeneralCipheringApdu; authenticatedFields: Uint8Array } {
  const at = r.pos;
  const tag = r.u8('general-ciphering tag');
  if (tag !== GENERAL_CIPHERING) throw new DlmsError('DLMS_ERR_TAG', `expected general-ciphering (0xDD), got ${hex2(tag)}`, at);
  const { header, encoded } = readGeneralHeader(r);
  const keyInfo = readKeyInfo(r);
  const content = readOctetString(r, 'ciphered-content');
  const apdu: GeneralCipheringApdu = { type: 'general-ciphering', ...header, content };
  if (keyInfo) apdu.keyInfo = keyInfo;
  return { apdu, authenticatedFields: encoded };
}

export function decodeGeneralCiphering(r: Reader): GeneralCipheringApdu {
  return readGeneralCiphering(r).apdu;
}

export function encodeGeneralCiphering(w: Writer, v: GeneralCipheringApdu): void {
  w.u8(GENERAL_CIPHERING);
  writeGeneralHeader(w, v);
  writeKeyInfo(w, v.keyInfo);
  writeOctetString(w, v.content);
}
