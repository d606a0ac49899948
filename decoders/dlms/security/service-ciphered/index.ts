/**
 * Service-specific ciphered APDUs (Green Book 9.5):
 *
 *   glo-get-request ::= [200] IMPLICIT OCTET STRING     ... one tag per service and key-set, see ../tags.ts
 *
 *   wire:  tag | length (BER) | SC | IC (4) | ciphertext or plain APDU | [T (12)]
 *
 * The sender's system title is not carried: it is the one exchanged in the AARQ / AARE.
 */
import { DlmsError } from '../../errors.js';
import type { Reader } from '../../axdr/reader.js';
import type { Writer } from '../../axdr/writer.js';
import { hex2, serviceCipheredTag } from '../tags.js';

export interface ServiceCipheredApdu {
  type: 'service-ciphered';
  /** The glo- or ded- tag, e.g. 0xC8 glo-get-request. */
  tag: number;
  /** SC || IC || information || [tag]. */
  content: Uint8Array;
}

export function decodeServiceCiphered(r: Reader): ServiceCipheredApdu {
  const at = r.pos;
  const tag = r.u8('ciphered APDU tag');
  if (!serviceCipheredTag(tag)) throw new DlmsError('DLMS_ERR_TAG', `expected a glo- or ded- ciphered APDU tag, got ${hex2(tag)}`, at);
  const n = r.length('ciphered content length');
  return { type: 'service-ciphered', tag, content: r.bytes(n, 'ciphered content') };
}

export function encodeServiceCiphered(w: Writer, v: ServiceCipheredApdu): void {
  if (!serviceCipheredTag(v.tag)) throw new DlmsError('DLMS_ERR_ENCODE', `${hex2(v.tag)} is not a glo- or ded- ciphered APDU tag`);
  w.u8(v.tag).length(v.content.length).bytes(v.content);
}
