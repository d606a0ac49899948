/*
 * General-Block-Transfer (IEC 62056-5-3 §8, tag [224] = 0xE0), A-XDR. Carries any long APDU
 * (ciphered or not) cut into numbered blocks, with windows and streaming:
 *
 * General-Block-Transfer ::= SEQUENCE {
 *   block-control     Unsigned8,    -- bit 7 last-block, bit 6 streaming, bits 0-5 window (0..63)
 *   block-number      Unsigned16,   -- this block, from 1
 *   block-number-ack  Unsigned16,   -- last block the sender of this APDU received in sequence
 *   block-data        OCTET STRING
 * }
 *
 * Wire: E0 | BC | BN BN | BNA BNA | length | data.
 */
import type { Reader } from '../../../axdr/reader.js';
import type { Writer } from '../../../axdr/writer.js';
import { ApduTag } from '../../tags.js';
import { checkUnsigned, expectTag } from '../common.js';

export interface GeneralBlockTransfer {
  type: 'general-block-transfer';
  lastBlock: boolean;
  /** More blocks of this window follow without waiting for an acknowledgement. */
  streaming: boolean;
  /** The window size the sender of this APDU can receive (0..63). */
  window: number;
  blockNumber: number;
  blockNumberAck: number;
  /** A view into the input when decoded. */
  blockData: Uint8Array;
}

const LAST_BLOCK = 0x80;
const STREAMING = 0x40;
const WINDOW_MASK = 0x3f;

export function decodeGeneralBlockTransfer(r: Reader): GeneralBlockTransfer {
  expectTag(r, ApduTag.generalBlockTransfer, 'general-block-transfer');
  const bc = r.u8('block-control');
  const blockNumber = r.u16('block-number');
  const blockNumberAck = r.u16('block-number-ack');
  const blockData = r.bytes(r.length('block-data length'), 'block-data');
  return {
    type: 'general-block-transfer',
    lastBlock: (bc & LAST_BLOCK) !== 0,
    streaming: (bc & STREAMING) !== 0,
    window: bc & WINDOW_MASK,
    blockNumber,
    blockNumberAck,
    blockData,
  };
}

export function encodeGeneralBlockTransfer(w: Writer, v: GeneralBlockTransfer): void {
  const window = checkUnsigned(v.window, WINDOW_MASK, 'window');
  w.u8(ApduTag.generalBlockTransfer).u8((v.lastBlock ? LAST_BLOCK : 0) | (v.streaming ? STREAMING : 0) | window);
  w.u16(checkUnsigned(v.blockNumber, 0xffff, 'block-number')).u16(checkUnsigned(v.blockNumberAck, 0xffff, 'block-number-ack'));
  w.length(v.blockData.length).bytes(v.blockData);
}
