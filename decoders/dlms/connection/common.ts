/** Pieces both connection roles share: result naming, ACSE diagnostic names, block splitting, HLS method. */
import {
  AcseServiceProviderDiagnostic,
  AcseServiceUserDiagnostic,
  AssociationResult,
  type AssociateSourceDiagnostic,
} from '../apdu/acse/index.js';
import { dataAccessResultName, encodeApdu, type Apdu, type CosemMethodDescriptor, type GetDataResult } from '../apdu/index.js';
import type { DlmsData } from '../axdr/types.js';
import { DlmsError } from '../errors.js';
import { parseObis } from '../obis.js';
import { CIPHERING_OVERHEAD } from './session.js';

/** The xDLMS version proposed and accepted (DLMS UA: 6). */
export const DLMS_VERSION = 6;

/** A GET result as the application sees it: the data, or the data-access-result with its standard name. */
export type AccessOutcome = { type: 'data'; value: DlmsData } | { type: 'data-access-result'; value: number; name: string };

export function accessOutcome(r: GetDataResult): AccessOutcome {
  return r.type === 'data' ? r : { type: 'data-access-result', value: r.value, name: dataAccessResultName(r.value) };
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

function nameOf(table: Record<string, number>, code: number): string {
  const entry = Object.entries(table).find(([, v]) => v === code);
  return entry ? kebab(entry[0]) : `unknown-${code}`;
}

/** e.g. 1 → "rejected-permanent". */
export function associationResultName(result: number): string {
  return nameOf(AssociationResult, result);
}

/** e.g. acse-service-user 13 → "authentication-failure". */
export function diagnosticName(d: AssociateSourceDiagnostic): string {
  return nameOf(d.source === 'acse-service-user' ? AcseServiceUserDiagnostic : AcseServiceProviderDiagnostic, d.code);
}

/** Cut `data` into blocks of at most `size` bytes (at least one block, possibly empty). */
export function splitBlocks(data: Uint8Array, size: number): Uint8Array[] {
  if (size < 1) throw new DlmsError('DLMS_ERR_VALUE', `the peer's PDU size leaves no room for block data (${size} bytes)`);
  const blocks: Uint8Array[] = [];
  for (let off = 0; off < data.length || off === 0; off += size) blocks.push(data.subarray(off, off + size));
  return blocks;
}

/** Current association (Association LN, class 15, 0.0.40.0.0.255), method 1 reply_to_HLS_authentication. */
export const REPLY_TO_HLS: Readonly<CosemMethodDescriptor> = Object.freeze({
  classId: 15,
  instanceId: parseObis('0.0.40.0.0.255'),
  methodId: 1,
});

export function isReplyToHls(m: CosemMethodDescriptor): boolean {
  return m.classId === REPLY_TO_HLS.classId && m.methodId === REPLY_TO_HLS.methodId && m.instanceId.every((b, i) => b === REPLY_TO_HLS.instanceId[i]);
}

/**
 * Raw-data bytes that fit in one block APDU of at most `maxPdu` bytes: the APDU built around an empty block is
 * measured, plus 2 for the longest length prefix and the ciphering envelope when there is one.
 */
export function blockRoom(emptyBlockApdu: Apdu, maxPdu: number, ciphered: boolean): number {
  return maxPdu - encodeApdu(emptyBlockApdu).length - 2 - (ciphered ? CIPHERING_OVERHEAD : 0);
}
