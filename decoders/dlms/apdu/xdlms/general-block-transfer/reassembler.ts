import { Writer } from '../../../axdr/writer.js';
import { DlmsError } from '../../../errors.js';
import type { GeneralBlockTransfer } from './gbt.js';

/** What the receive side knows after each block. */
export interface GbtProgress {
  /** The complete APDU, once the last block and every block before it have arrived. */
  apdu?: Uint8Array;
  /** Highest block number received in sequence: the block-number-ack to send back. */
  ack: number;
  /** Blocks known to be lost (a later one arrived, or the last one did): ask for them again. */
  missing: number[];
  /** The sender's window ended (streaming bit clear) and the transfer is not complete: acknowledge now. */
  needAck: boolean;
}

export interface GbtReassemblerOptions {
  /** Number of the first block of a transfer (default 1). */
  firstBlockNumber?: number;
  /** Upper bound of the reassembled APDU; more is DLMS_ERR_LENGTH (default 16 MiB). */
  maxApduSize?: number;
}

/**
 * Receive side of General-Block-Transfer (IEC 62056-5-3 §9, GBT with streaming and lost-block
 * recovery). Blocks in order are copied once into one growing buffer; blocks ahead of a gap wait
 * (copied, since frames may reuse their buffers) until the gap is filled by a retransmission.
 * Duplicates are ignored. After completion the reassembler is ready for the next transfer.
 */
export class GbtReassembler {
  private readonly first: number;
  private readonly maxApduSize: number;
  private out = new Writer(1024);
  private next: number;
  private ahead = new Map<number, Uint8Array>();
  private aheadBytes = 0;
  private highest: number;
  private last: number | undefined;

  constructor(opts: GbtReassemblerOptions = {}) {
    this.first = opts.firstBlockNumber ?? 1;
    this.maxApduSize = opts.maxApduSize ?? 16 * 1024 * 1024;
    this.next = this.first;
    this.highest = this.first - 1;
  }

  /** Forget a partial transfer (e.g. after the association was lost). */
  reset(): void {
    this.out = new Writer(1024);
    this.next = this.first;
    this.ahead.clear();
    this.aheadBytes = 0;
    this.highest = this.first - 1;
    this.last = undefined;
  }

  push(b: GeneralBlockTransfer): GbtProgress {
    const n = b.blockNumber;
    if (this.last !== undefined && n > this.last) {
      throw new DlmsError('DLMS_ERR_VALUE', `GBT block ${n} follows the last block ${this.last}`);
    }
    if (b.lastBlock) {
      if (n < this.highest) throw new DlmsError('DLMS_ERR_VALUE', `GBT last block ${n} precedes block ${this.highest}`);
      this.last = n;
    }
    if (n >= this.next && !this.ahead.has(n)) {
      if (this.out.pos + this.aheadBytes + b.blockData.length > this.maxApduSize) {
        throw new DlmsError('DLMS_ERR_LENGTH', `GBT transfer exceeds ${this.maxApduSize} bytes`);
      }
      if (n > this.highest) this.highest = n;
      if (n === this.next) {
        this.out.bytes(b.blockData);
        this.next++;
        for (let p = this.ahead.get(this.next); p; p = this.ahead.get(this.next)) {
          this.ahead.delete(this.next);
          this.aheadBytes -= p.length;
          this.out.bytes(p);
          this.next++;
        }
      } else {
        this.ahead.set(n, b.blockData.slice());
        this.aheadBytes += b.blockData.length;
      }
    }
    const ack = this.next - 1;
    if (this.last !== undefined && this.next > this.last) {
      const apdu = this.out.finish();
      this.reset();
      return { apdu, ack, missing: [], needAck: false };
    }
    const missing: number[] = [];
    for (let m = this.next; m < this.highest; m++) if (!this.ahead.has(m)) missing.push(m);
    return { ack, missing, needAck: !b.streaming };
  }
}
