/**
 * RLRE, the release response (IEC 62056-5-3 §8, Green Book "ACSE APDUs"; ISO/IEC 8650-1), BER:
 *
 *   RLRE-apdu ::= [APPLICATION 3] IMPLICIT SEQUENCE {                         -- 0x63
 *     reason           [0]  IMPLICIT Release-response-reason OPTIONAL,         -- 0x80 01 00
 *     user-information [30] EXPLICIT Association-information OPTIONAL         -- 0xBE 04 .. InitiateResponse
 *   }
 *   Release-response-reason ::= INTEGER { normal (0), not-finished (1), user-defined (30) }
 */
import type { Reader } from '../../../axdr/reader.js';
import type { Writer } from '../../../axdr/writer.js';
import { decodeAcse, encodeAcse, type AcseGrammar, type AcseUserInformation } from '../elements.js';
import { INITIATE_RESPONSE_TAG } from '../../xdlms/initiate/index.js';

export const RLRE_TAG = 0x63;

export interface Rlre {
  type: 'rlre';
  /** ReleaseResponseReason in ../names.ts. */
  reason?: number;
  userInformation?: AcseUserInformation;
}

const RLRE: AcseGrammar<Rlre> = {
  type: 'rlre',
  name: 'RLRE',
  tag: RLRE_TAG,
  initiate: INITIATE_RESPONSE_TAG,
  elements: [
    { tag: 0x80, key: 'reason', kind: 'implicit-integer', what: 'reason' },
    { tag: 0xbe, key: 'userInformation', kind: 'user-information', what: 'user-information' },
  ],
};

export function decodeRlre(r: Reader): Rlre {
  return decodeAcse(r, RLRE);
}

export function encodeRlre(w: Writer, v: Rlre): void {
  encodeAcse(w, RLRE, v);
}
