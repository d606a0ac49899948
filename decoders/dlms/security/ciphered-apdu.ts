/**
 * Any protected APDU as an envelope, without removing the protection: lets a caller read the sender
 * system title of a pushed general-glo-ciphering (to pick the meter's keys) or log an envelope.
 */
import { DlmsError } from '../errors.js';
import type { Reader } from '../axdr/reader.js';
import type { Writer } from '../axdr/writer.js';
import { GENERAL_CIPHERING, GENERAL_DED_CIPHERING, GENERAL_GLO_CIPHERING, GENERAL_SIGNING, hex2, serviceCipheredTag } from './tags.js';
import { decodeServiceCiphered, encodeServiceCiphered, type ServiceCipheredApdu } from './service-ciphered/index.js';
import { decodeGeneralGloCiphering, encodeGeneralGloCiphering, type GeneralGloCipheringApdu } from './general-glo-ciphering/index.js';
import { decodeGeneralCiphering, encodeGeneralCiphering, type GeneralCipheringApdu } from './general-ciphering/index.js';
import { decodeGeneralSigning, encodeGeneralSigning, type GeneralSigningApdu } from './general-signing/index.js';

export type CipheredApdu = ServiceCipheredApdu | GeneralGloCipheringApdu | GeneralCipheringApdu | GeneralSigningApdu;

/** Reads one protected APDU, `r` at its tag. */
export function decodeCipheredApdu(r: Reader): CipheredApdu {
  const tag = r.peek('ciphered APDU tag');
  if (serviceCipheredTag(tag)) return decodeServiceCiphered(r);
  switch (tag) {
    case GENERAL_GLO_CIPHERING:
    case GENERAL_DED_CIPHERING:
      return decodeGeneralGloCiphering(r);
    case GENERAL_CIPHERING:
      return decodeGeneralCiphering(r);
    case GENERAL_SIGNING:
      return decodeGeneralSigning(r);
    default:
      throw new DlmsError('DLMS_ERR_TAG', `${hex2(tag)} is not a ciphered APDU tag`, r.pos);
  }
}

export function encodeCipheredApdu(w: Writer, v: CipheredApdu): void {
  switch (v.type) {
    case 'service-ciphered':
      return encodeServiceCiphered(w, v);
    case 'general-glo-ciphering':
    case 'general-ded-ciphering':
      return encodeGeneralGloCiphering(w, v);
    case 'general-ciphering':
      return encodeGeneralCiphering(w, v);
    case 'general-signing':
      return encodeGeneralSigning(w, v);
  }
}
