/**
 * A wired M-Bus master over a byte transport (an M-Bus-to-TCP converter, EN 13757-2 link layer):
 *
 *   reset       SND_NKE to the slave (short frame 10 40 A CS 16), answer E5; the next REQ_UD2 carries FCB 1
 *   select      SND_UD to 0xFD with CI 0x52 and the secondary address (wildcards F / FF), answer E5; the
 *               selected slave is then addressed as 0xFD
 *   read        REQ_UD2 (FCV set, FCB toggled per new telegram), answer RSP_UD (long frame); while the
 *               telegram's last record is DIF 0x1F (more records follow) the next REQ_UD2 asks for the next one
 *   app reset   SND_UD with CI 0x50, answer E5
 *
 * A missing answer (timeout) or a garbled one (checksum, stop byte — what a collision leaves) is asked for
 * again with the same FCB, up to `resendCount` times: the slave repeats its last telegram for an unchanged
 * FCB. Every frame goes to the exchange log; nothing is decoded here but what drives the dialogue.
 */
import { parseMeterAddress, selectionData, type MeterAddress } from '../../decoders/mbus/address.js';
import { isMbusError } from '../../decoders/mbus/errors.js';
import {
  ADDRESS_SELECTED, C_FCB, C_FCV, C_REQ_UD2, C_SND_NKE, C_SND_UD, decodeWiredFrame, encodeLongFrame, encodeShortFrame, wiredFrameLength,
  type WiredFrame,
} from '../../decoders/mbus/link.js';
import type { ByteTransport } from '../transport/transport.js';

export interface MbusMasterOptions {
  /** How long to wait for an answer. */
  waitTimeMs: number;
  /** Repeats after a timeout or a garbled answer. */
  resendCount: number;
  /** Frames both ways, for the exchange log and the wire trace. */
  onFrame?: (direction: 'tx' | 'rx', bytes: Uint8Array) => void;
  /** A step finished (the exchange log's steps). */
  onStep?: (name: string, startedAt: number, ok: boolean, error?: string) => void;
  signal?: AbortSignal;
}

/** Why a dialogue with a slave failed: no answer, garbled answers, an unexpected answer, the transport gone. */
export class MbusLinkError extends Error {
  override readonly name = 'MbusLinkError';
  constructor(message: string, readonly reason: 'timeout' | 'garbled' | 'unexpected' | 'closed' | 'cancelled') {
    super(message);
  }
}

type Waiter = { resolve: (f: Uint8Array) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

export class MbusMaster {
  private buffer = new Uint8Array(0);
  /** Bytes that started no frame arrived while waiting (a collision of several slaves' answers). */
  private noise = false;
  private waiter: Waiter | undefined;
  private closedReason: string | undefined;
  /** FCB of the next REQ_UD2 per A field. */
  private readonly fcb = new Map<number, number>();

  constructor(private readonly transport: ByteTransport, private readonly o: MbusMasterOptions) {
    transport.attach({
      onData: (chunk) => this.received(chunk),
      onClose: (reason) => {
        this.closedReason = reason;
        this.waiter?.reject(new MbusLinkError(`the converter closed the connection (${reason})`, 'closed'));
      },
    });
  }

  /** The A field a comm-line address reaches: the primary address, or 0xFD once a secondary one is selected. */
  async address(text: string): Promise<number> {
    const a: MeterAddress = parseMeterAddress(text);
    if (a.kind === 'primary') {
      await this.reset(a.address);
      return a.address;
    }
    // A selection that does not match deselects the slave selected before: no deselection needed first.
    await this.exchange(`select ${text}`, encodeLongFrame(C_SND_UD, ADDRESS_SELECTED, 0x52, selectionData(a)), 'ack');
    this.fcb.set(ADDRESS_SELECTED, 1);
    return ADDRESS_SELECTED;
  }

  /** SND_NKE: the slave starts over; its next answer is its first telegram. */
  async reset(a: number): Promise<void> {
    await this.exchange(`SND_NKE to ${a}`, encodeShortFrame(C_SND_NKE, a), 'ack');
    this.fcb.set(a, 1);
  }

  /** SND_UD application reset (CI 0x50). */
  async applicationReset(a: number): Promise<void> {
    await this.exchange(`application reset of ${a}`, encodeLongFrame(C_SND_UD | C_FCV | ((this.fcb.get(a) ?? 1) ? C_FCB : 0), a, 0x50), 'ack');
    this.toggle(a);
  }

  /**
   * REQ_UD2 until the slave's answer does not end in "more records follow" (`more(frame)`) or `max` telegrams
   * were read. Returns the RSP_UD frames as received.
   */
  async readAll(a: number, more: (frame: Uint8Array) => boolean, max: number): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for (let n = 1; n <= max; n++) {
      const fcb = this.fcb.get(a) ?? 1;
      const frame = await this.exchange(`REQ_UD2 to ${a} (telegram ${n})`, encodeShortFrame(C_REQ_UD2 | C_FCV | (fcb ? C_FCB : 0), a), 'long');
      this.toggle(a);
      out.push(frame);
      if (!more(frame)) break;
    }
    return out;
  }

  /** Sends a frame a slave acknowledges with E5 (SND_UD: set the clock, select records, ...). */
  async send(name: string, frame: Uint8Array): Promise<void> {
    await this.exchange(name, frame, 'ack');
  }

  private toggle(a: number): void {
    this.fcb.set(a, (this.fcb.get(a) ?? 1) ^ 1);
  }

  /**
   * Sends `request` and waits for the answer `expect` says: an E5 or a long frame. Retries a timeout or a
   * garbled answer with the same bytes.
   */
  private async exchange(name: string, request: Uint8Array, expect: 'ack' | 'long'): Promise<Uint8Array> {
    const startedAt = Date.now();
    let last: MbusLinkError | undefined;
    for (let attempt = 0; attempt <= this.o.resendCount; attempt++) {
      if (this.o.signal?.aborted) throw new MbusLinkError('cancelled', 'cancelled');
      if (this.closedReason !== undefined) throw new MbusLinkError(`the converter closed the connection (${this.closedReason})`, 'closed');
      this.buffer = new Uint8Array(0);
      this.noise = false;
      this.o.onFrame?.('tx', request);
      this.transport.write([request]);
      try {
        const answer = await this.next();
        this.o.onFrame?.('rx', answer);
        let f: WiredFrame;
        try {
          f = decodeWiredFrame(answer);
        } catch (e) {
          if (!isMbusError(e)) throw e;
          last = new MbusLinkError(`garbled answer to ${name}: ${e.message}`, 'garbled');
          continue;
        }
        const ok = expect === 'long' ? f.type === 'long' : f.type === 'ack';
        if (!ok) throw new MbusLinkError(`unexpected ${f.type} frame in answer to ${name}`, 'unexpected');
        this.o.onStep?.(name, startedAt, true);
        return answer;
      } catch (e) {
        if (!(e instanceof MbusLinkError)) throw e;
        if (e.reason === 'garbled') {
          last = new MbusLinkError(`garbled answer to ${name}: ${e.message}`, 'garbled');
          continue;
        }
        if (e.reason !== 'timeout') {
          this.o.onStep?.(name, startedAt, false, e.message);
          throw e;
        }
        last = new MbusLinkError(`no answer to ${name} within ${this.o.waitTimeMs} ms`, 'timeout');
      }
    }
    const e = last ?? new MbusLinkError(`no answer to ${name}`, 'timeout');
    this.o.onStep?.(name, startedAt, false, `${e.message} (${this.o.resendCount + 1} attempts)`);
    throw new MbusLinkError(`${e.message} (${this.o.resendCount + 1} attempts)`, e.reason);
  }

  /** The next whole frame from the converter, or a timeout. Line noise before a frame is skipped. */
  private next(): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        // Bytes that never became a frame (a collision): garbled, not silent.
        if (this.buffer.length || this.noise) reject(new MbusLinkError(this.buffer.length ? `an incomplete frame of ${this.buffer.length} bytes` : 'line noise', 'garbled'));
        else reject(new MbusLinkError('timeout', 'timeout'));
      }, this.o.waitTimeMs);
      this.waiter = {
        resolve: (f) => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve(f);
        },
        reject: (e) => {
          clearTimeout(timer);
          this.waiter = undefined;
          reject(e);
        },
        timer,
      };
      this.drain();
    });
  }

  private received(chunk: Uint8Array): void {
    const joined = new Uint8Array(this.buffer.length + chunk.length);
    joined.set(this.buffer);
    joined.set(chunk, this.buffer.length);
    this.buffer = joined;
    this.drain();
  }

  private drain(): void {
    while (this.waiter && this.buffer.length) {
      const n = wiredFrameLength(this.buffer, 0);
      if (n === 0) return;
      if (n < 0) {
        this.buffer = this.buffer.subarray(1);
        this.noise = true;
        continue;
      }
      const frame = this.buffer.slice(0, n);
      this.buffer = this.buffer.subarray(n);
      this.waiter.resolve(frame);
    }
  }

  close(): void {
    this.waiter?.reject(new MbusLinkError('closed', 'closed'));
    this.transport.close();
  }
}

