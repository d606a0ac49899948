/**
 * xDLMS InitiateResponse (IEC 62056-5-3, Green Book), carried in the AARE user-information (plain,
 * or ciphered as glo-/ded-initiateResponse) and encoded in A-XDR:
 *
 *   InitiateResponse ::= SEQUENCE {         -- tag [8] = 0x08
 *     negotiated-quality-of-service  [0] IMPLICIT Integer8 OPTIONAL,
 *     negotiated-dlms-version-number Unsigned8,
 *     negotiated-conformance         Conformance,    -- 5F 1F 04 00 xx xx xx
 *     server-max-receive-pdu-size    Unsigned16,
 *     vaa-name                       ObjectName      -- 0x0007 LN, 0xFA00 SN
 *   }
 *
 * "08 00 06 5F1F0400001E1D 04C8 0007": no QoS, version 6, conformance 0x001E1D, PDU size 1224,
 * LN referencing.
 */
import type { Reader } from '../../../axdr/reader.js';
import type { Writer } from '../../../axdr/writer.js';
import { checkInt } from '../../acse/ber.js';
import { decodeConformance, encodeConformance } from './conformance.js';
import { expectTag, readPresence } from '../common.js';

export const INITIATE_RESPONSE_TAG = 0x08;

/** vaa-name of the current association: the base name of the Association object. */
export const VaaName = { logicalName: 0x0007, shortName: 0xfa00 } as const;

export interface InitiateResponse {
  type: 'initiate-response';
  negotiatedQualityOfService?: number;
  negotiatedDlmsVersionNumber: number;
  /** 24-bit conformance block in wire order; see conformance.ts for the named bits. */
  negotiatedConformance: number;
  serverMaxReceivePduSize: number;
  /** ObjectName as an unsigned 16-bit value (0x0007 LN, 0xFA00 SN). */
  vaaName: number;
}

export function decodeInitiateResponse(r: Reader): InitiateResponse {
  expectTag(r, INITIATE_RESPONSE_TAG, 'InitiateResponse');
  const v = { type: 'initiate-response' } as InitiateResponse;
  if (readPresence(r, 'negotiated-quality-of-service')) v.negotiatedQualityOfService = r.i8('negotiated-quality-of-service');
  v.negotiatedDlmsVersionNumber = r.u8('negotiated-dlms-version-number');
  v.negotiatedConformance = decodeConformance(r);
  v.serverMaxReceivePduSize = r.u16('server-max-receive-pdu-size');
  v.vaaName = r.u16('vaa-name');
  return v;
}

export function encodeInitiateResponse(w: Writer, v: InitiateResponse): void {
  checkInt(v.negotiatedDlmsVersionNumber, 0, 0xff, 'negotiated-dlms-version-number');
  checkInt(v.serverMaxReceivePduSize, 0, 0xffff, 'server-max-receive-pdu-size');
  checkInt(v.vaaName, 0, 0xffff, 'vaa-name');
  w.u8(INITIATE_RESPONSE_TAG);
  if (v.negotiatedQualityOfService !== undefined) {
    checkInt(v.negotiatedQualityOfService, -128, 127, 'negotiated-quality-of-service');
    w.u8(1).u8(v.negotiatedQualityOfService);
  } else w.u8(0);
  w.u8(v.negotiatedDlmsVersionNumber);
  encodeConformance(w, v.negotiatedConformance);
  w.u16(v.serverMaxReceivePduSize).u16(v.vaaName);
}
