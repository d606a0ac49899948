/**
 * xDLMS InitiateRequest (IEC 62056-5-3, Green Book), carried in the AARQ user-information (plain,
 * or ciphered as glo-/ded-initiateRequest) and encoded in A-XDR:
 *
 *   InitiateRequest ::= SEQUENCE {          -- tag [1] = 0x01
 *     dedicated-key                OCTET STRING OPTIONAL,
 *     response-allowed             BOOLEAN DEFAULT TRUE,
 *     proposed-quality-of-service  [0] IMPLICIT Integer8 OPTIONAL,
 *     proposed-dlms-version-number Unsigned8,        -- 6
 *     proposed-conformance         Conformance,      -- 5F 1F 04 00 xx xx xx
 *     client-max-receive-pdu-size  Unsigned16
 *   }
 *
 * A-XDR: an OPTIONAL field is preceded by 00 (absent) or 01 (present); a DEFAULT field is 00 (the
 * default) or 01 followed by the value. So "01 00 00 00 06 5F1F0400007E1F 04B0" is: no dedicated
 * key, response allowed, no QoS, version 6, conformance 0x007E1F, PDU size 1200.
 */
import type { Reader } from '../../../axdr/reader.js';
import type { Writer } from '../../../axdr/writer.js';
import { checkInt } from '../../acse/ber.js';
import { decodeConformance, encodeConformance } from './conformance.js';
import { expectTag, readPresence } from '../common.js';

export const INITIATE_REQUEST_TAG = 0x01;

export interface InitiateRequest {
  type: 'initiate-request';
  /** Dedicated (session) key for ded- ciphering; a view into the input when decoded. */
  dedicatedKey?: Uint8Array;
  responseAllowed: boolean;
  proposedQualityOfService?: number;
  proposedDlmsVersionNumber: number;
  /** 24-bit conformance block in wire order; see conformance.ts for the named bits. */
  proposedConformance: number;
  clientMaxReceivePduSize: number;
}

export function decodeInitiateRequest(r: Reader): InitiateRequest {
  expectTag(r, INITIATE_REQUEST_TAG, 'InitiateRequest');
  const v = { type: 'initiate-request' } as InitiateRequest;
  if (readPresence(r, 'dedicated-key')) v.dedicatedKey = r.bytes(r.length('dedicated-key length'), 'dedicated-key');
  // response-allowed is DEFAULT TRUE: an explicit value follows only when the flag is 01.
  v.responseAllowed = readPresence(r, 'response-allowed') ? r.u8('response-allowed') !== 0 : true;
  if (readPresence(r, 'proposed-quality-of-service')) v.proposedQualityOfService = r.i8('proposed-quality-of-service');
  v.proposedDlmsVersionNumber = r.u8('proposed-dlms-version-number');
  v.proposedConformance = decodeConformance(r);
  v.clientMaxReceivePduSize = r.u16('client-max-receive-pdu-size');
  return v;
}

export function encodeInitiateRequest(w: Writer, v: InitiateRequest): void {
  checkInt(v.proposedDlmsVersionNumber, 0, 0xff, 'proposed-dlms-version-number');
  checkInt(v.clientMaxReceivePduSize, 0, 0xffff, 'client-max-receive-pdu-size');
  w.u8(INITIATE_REQUEST_TAG);
  if (v.dedicatedKey) w.u8(1).length(v.dedicatedKey.length).bytes(v.dedicatedKey);
  else w.u8(0);
  // The default (true) is written as "absent"; only false needs an explicit value.
  if (v.responseAllowed) w.u8(0);
  else w.u8(1).u8(0);
  if (v.proposedQualityOfService !== undefined) {
    checkInt(v.proposedQualityOfService, -128, 127, 'proposed-quality-of-service');
    w.u8(1).u8(v.proposedQualityOfService);
  } else w.u8(0);
  w.u8(v.proposedDlmsVersionNumber);
  encodeConformance(w, v.proposedConformance);
  w.u16(v.clientMaxReceivePduSize);
}
