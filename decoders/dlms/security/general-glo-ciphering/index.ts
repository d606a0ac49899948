/**
 * general-glo-ciphering [219] and general-ded-ciphering [220] (Green Book 9.5):
 *
 *   General-Glo-Ciphering ::= SEQUENCE          General-Ded-Ciphering: same fields
 *   {
 *     system-title      OCTET STRING,           system title of the sender: the IV is built from it
 *     ciphered-content  OCTET STRING            SC || IC || information || [T]
 *   }
 *
 *   wire:  DB | len | system-title | len | ciphered-content            (A-XDR, no outer length)
 *
 * Used for any APDU, notably DataNotification pushed by meters, which has no service-specific tag.
 */
import { DlmsError } from '../../errors.js';
import type { Reader } from '../../axdr/reader.js';
import type { Writer } from '../../axdr/writer.js';
import { GENERAL_DED_CIPHERING, GENERAL_GLO_CIPHERING, hex2 } from '../tags.js';

export interface GeneralGloCipheringApdu {
  type: 'general-glo-ciphering' | 'general-ded-ciphering';
  systemTitle: Uint8Array;
  /** SC || IC || information || [tag]. */
  content: Uint8Array;
}

export function decodeGeneralGloCiphering(r: Reader): GeneralGloCipheringApdu {
  const at = r.pos;
  const tag = r.u8('general ciphering tag');
  if (tag !== GENERAL_GLO_CIPHERING && tag !== GENERAL_DED_CIPHERING) {
    throw new DlmsError('DLMS_ERR_TAG', `expected general-glo-ciphering (0xDB) or general-ded-ciphering (0xDC), got ${hex2(tag)}`, at);
  }
  const systemTitle = r.bytes(r.length('system-title length'), 'system-title');
  const content = r.bytes(r.length('ciphered-content length'), 'ciphered-content');
  return { type: tag === GENERAL_GLO_CIPHERING ? 'general-glo-ciphering' : 'general-ded-ciphering', systemTitle, content };
}

export function encodeGeneralGloCiphering(w: Writer, v: GeneralGloCipheringApdu): void {
  w.u8(v.type === 'general-glo-ciphering' ? GENERAL_GLO_CIPHERING : GENERAL_DED_CIPHERING);
  w.length(v.systemTitle.length).bytes(v.systemTitle);
  w.length(v.content.length).bytes(v.content);
}
