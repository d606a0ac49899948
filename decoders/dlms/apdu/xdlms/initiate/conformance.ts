/**
 * The xDLMS conformance block (IEC 62056-5-3, Green Book "Conformance"):
 *
 *   Conformance ::= [APPLICATION 31] IMPLICIT BIT STRING {
 *     reserved-zero (0), general-protection (1), general-block-transfer (2), read (3), write (4),
 *     unconfirmed-write (5), delta-value-encoding (6), reserved-seven (7),
 *     attribute0-supported-with-set (8), priority-mgmt-supported (9),
 *     attribute0-supported-with-get (10), block-transfer-with-get-or-read (11),
 *     block-transfer-with-set-or-write (12), block-transfer-with-action (13),
 *     multiple-references (14), information-report (15), data-notification (16), access (17),
 *     parameterized-access (18), get (19), set (20), selective-access (21),
 *     event-notification (22), action (23)
 *   } (SIZE(24))
 *
 * Inside the A-XDR initiate PDUs it keeps its BER form: 5F 1F (tag) 04 (length) 00 (unused bits)
 * and three bytes. Bit 0 is the most significant bit of the first byte, so the block is held as a
 * 24-bit number in wire order: 0x007E1F = priority-mgmt .. multiple-references, get .. action.
 */
import { DlmsError } from '../../../errors.js';
import type { Reader } from '../../../axdr/reader.js';
import type { Writer } from '../../../axdr/writer.js';

/** Bit names indexed by their ASN.1 bit number. */
export const CONFORMANCE_BITS = [
  'reserved-zero',
  'general-protection',
  'general-block-transfer',
  'read',
  'write',
  'unconfirmed-write',
  'delta-value-encoding',
  'reserved-seven',
  'attribute0-supported-with-set',
  'priority-mgmt-supported',
  'attribute0-supported-with-get',
  'block-transfer-with-get-or-read',
  'block-transfer-with-set-or-write',
  'block-transfer-with-action',
  'multiple-references',
  'information-report',
  'data-notification',
  'access',
  'parameterized-access',
  'get',
  'set',
  'selective-access',
  'event-notification',
  'action',
] as const;

export type ConformanceBit = (typeof CONFORMANCE_BITS)[number];

/** The mask of one named bit in the 24-bit block. */
export function conformanceMask(bit: ConformanceBit): number {
  return 1 << (23 - CONFORMANCE_BITS.indexOf(bit));
}

export function hasConformance(block: number, bit: ConformanceBit): boolean {
  return (block & conformanceMask(bit)) !== 0;
}

export function conformanceFromBits(bits: Iterable<ConformanceBit>): number {
  let block = 0;
  for (const b of bits) block |= conformanceMask(b);
  return block;
}

/** The names of the bits set, in bit-number order. */
export function conformanceBits(block: number): ConformanceBit[] {
  const out: ConformanceBit[] = [];
  for (let n = 0; n < 24; n++) if (block & (1 << (23 - n))) out.push(CONFORMANCE_BITS[n]!);
  return out;
}

export function decodeConformance(r: Reader): number {
  const at = r.pos;
  if (r.u8('conformance tag') !== 0x5f || r.u8('conformance tag') !== 0x1f) {
    throw new DlmsError('DLMS_ERR_TAG', 'expected the conformance tag 5F 1F ([APPLICATION 31])', at);
  }
  const lengthAt = r.pos;
  const n = r.u8('conformance length');
  if (n !== 4) throw new DlmsError('DLMS_ERR_LENGTH', `conformance: length ${n}, expected 4`, lengthAt);
  const unusedAt = r.pos;
  const unused = r.u8('conformance unused-bits count');
  if (unused !== 0) throw new DlmsError('DLMS_ERR_VALUE', `conformance: ${unused} unused bits, expected 0`, unusedAt);
  r.need(3, 'conformance bits');
  return (r.u8() << 16) | (r.u8() << 8) | r.u8();
}

export function encodeConformance(w: Writer, block: number): void {
  if (!Number.isInteger(block) || block < 0 || block > 0xffffff) {
    throw new DlmsError('DLMS_ERR_ENCODE', `conformance: ${block} is not a 24-bit block`);
  }
  w.u8(0x5f).u8(0x1f).u8(0x04).u8(0x00).u8(block >>> 16).u16(block & 0xffff);
}
