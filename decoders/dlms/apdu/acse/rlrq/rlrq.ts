/**
 * RLRQ, the release request (IEC 62056-5-3 §8, Green Book "ACSE APDUs"; ISO/IEC 8650-1), BER:
 *
 *   RLRQ-apdu ::= [APPLICATION 2] IMPLICIT SEQUENCE {                         -- 0x62
 *     reason           [0]  IMPLICIT Release-request-reason OPTIONAL,          -- 0x80 01 00
 *     user-information [30] EXPLICIT Association-information OPTIONAL         -- 0xBE 04 .. InitiateRequest
 *   }                                                                         --   (ciphered, to release
 *   Release-request-reason ::= INTEGER { normal (0), urgent (1), user-defined (30) } -- a ciphered AA)
 */
import type { Reader } from '../../../axdr/reader.js';
import type { Writer } from '../../../axdr/writer.js';
import { decodeAcse, encodeAcse, type AcseGrammar, type AcseUserInformation } from '../elements.js';
import { INITIATE_REQUEST_TAG } from '../../xdlms/initiate/index.js';

export const RLRQ_TAG = 0x62;

export interface Rlrq {
  type: 'rlrq';
  /** ReleaseRequestReason in ../names.ts. */
  reason?: number;
  userInformation?: AcseUserInformation;
}

const RLRQ: AcseGrammar<Rlrq> = {
  type: 'rlrq',
  name: 'RLRQ',
  tag: RLRQ_TAG,
  initiate: INITIATE_REQUEST_TAG,
  elements: [
    { tag: 0x80, key: 'reason', kind: 'implicit-integer', what: 'reason' },
    { tag: 0xbe, key: 'userInformation', kind: 'user-information', what: 'user-information' },
  ],
};

export function decodeRlrq(r: Reader): Rlrq {
  return decodeAcse(r, RLRQ);
}

export function encodeRlrq(w: Writer, v: Rlrq): void {
  encodeAcse(w, RLRQ, v);
}
