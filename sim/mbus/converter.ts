/**
 * A simulated M-Bus-to-TCP converter with wired M-Bus slaves behind it: the TCP byte stream is the bus
 * (the converter is transparent), the slaves answer as EN 13757-2/-3 slaves do:
 *
 *   SND_NKE (10 40 A CS 16)          E5; the slave starts over (first telegram, FCB state cleared);
 *                                    to 0xFD it also ends the secondary selection
 *   REQ_UD2 (10 5B/7B A CS 16)       RSP_UD: with FCV set, a toggled FCB moves to the next telegram of a
 *                                    multi-telegram answer (DIF 0x1F in all but the last), the same FCB
 *                                    repeats the last one (the master lost it)
 *   SND_UD CI 0x52 to 0xFD           secondary-address selection (wildcards F / FF): one match answers
 *                                    E5 and is then addressed as 0xFD; several matches collide (garbled)
 *   SND_UD CI 0x50                   application reset: E5, first telegram next
 *   broadcast 0xFF                   no answer
 *
 * Slaves may answer encrypted (security mode 5 with the meter's key). Faults: slaves that never answer, a share of answers garbled (a flipped byte: the checksum fails, as
 * after a collision), a delay before each answer.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { selectionMatches } from '../../decoders/mbus/address.js';
import { secondaryAddress } from '../../decoders/mbus/encode.js';
import {
  ACK, ADDRESS_BROADCAST, ADDRESS_SELECTED, C_FCB, C_FCV, C_REQ_UD2, C_SND_NKE, C_SND_UD, decodeWiredFrame, wiredFrameLength,
} from '../../decoders/mbus/link.js';
import type { MbusFleet } from './meter.js';

export interface ConverterOptions {
  fleet: MbusFleet;
  /** Primary address → fleet index of the slaves on this bus. */
  slaves: ReadonlyMap<number, number>;
  /** Records per RSP_UD (default 4: the fleet's meters answer in 2-3 telegrams). */
  recordsPerTelegram?: number;
  /** Primary addresses that never answer. */
  silent?: ReadonlySet<number>;
  /** Primary addresses whose answers are encrypted (security mode 5, the meter's key). */
  encrypted?: ReadonlySet<number>;
  /** Share of answers garbled, 0..1 (a deterministic sequence, not random). */
  garbleRate?: number;
  latencyMs?: number;
  now?: () => number;
  host?: string;
  port?: number;
}

interface SlaveState {
  cursor: number;
  lastFcb: number | null;
  telegrams: Uint8Array[];
  access: number;
}

export class MbusConverter {
  readonly requests = { sndNke: 0, reqUd2: 0, select: 0, reset: 0, garbled: 0 };
  private server: Server | undefined;
  private readonly state = new Map<number, SlaveState>();
  private selected: number | null = null;
  private answers = 0;
  private readonly secondaries = new Map<number, Uint8Array>();

  constructor(private readonly o: ConverterOptions) {
    for (const [address, index] of o.slaves) this.secondaries.set(address, secondaryAddress(o.fleet.meter(index)));
  }

  get port(): number {
    const a = this.server?.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  async start(): Promise<this> {
    this.server = createServer((s) => this.serve(s));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.o.port ?? 0, this.o.host ?? '127.0.0.1', resolve);
    });
    return this;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private serve(socket: Socket): void {
    let buf = new Uint8Array(0);
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      const joined = new Uint8Array(buf.length + chunk.length);
      joined.set(buf);
      joined.set(chunk, buf.length);
      buf = joined;
      for (;;) {
        const n = wiredFrameLength(buf, 0);
        if (n < 0) {
          buf = buf.subarray(1); // line noise
          continue;
        }
        if (n === 0) break;
        const frame = buf.subarray(0, n);
        buf = buf.subarray(n);
        const answer = this.handle(frame);
        if (answer) this.reply(socket, answer);
      }
    });
  }

  private reply(socket: Socket, bytes: Uint8Array): void {
    let out = bytes;
    const rate = this.o.garbleRate ?? 0;
    this.answers++;
    if (rate > 0 && bytes.length > 1 && (this.answers * 0.6180339887) % 1 < rate) {
      out = Uint8Array.from(bytes);
      out[out.length - 2]! ^= 0x5a; // the checksum no longer matches
      this.requests.garbled++;
    }
    const send = () => {
      if (!socket.destroyed) socket.write(out);
    };
    if (this.o.latencyMs) setTimeout(send, this.o.latencyMs);
    else send();
  }

  /** The slave's primary address a frame's A field reaches, or null. */
  private target(a: number): number | null {
    if (a === ADDRESS_SELECTED) return this.selected;
    return this.o.slaves.has(a) && !this.o.silent?.has(a) ? a : null;
  }

  private slave(address: number): SlaveState {
    let s = this.state.get(address);
    if (!s) {
      s = { cursor: 0, lastFcb: null, telegrams: [], access: 0 };
      this.state.set(address, s);
    }
    return s;
  }

  private handle(frame: Uint8Array): Uint8Array | null {
    let f;
    try {
      f = decodeWiredFrame(frame);
    } catch {
      return null; // a slave ignores a frame it cannot read
    }
    if (f.type === 'ack') return null;
    const c = f.c & ~C_FCB;
    if (f.a === ADDRESS_BROADCAST) {
      if (c === C_SND_NKE) for (const s of this.state.values()) Object.assign(s, { cursor: 0, lastFcb: null });
      return null;
    }
    if (f.type === 'short' && c === C_SND_NKE) {
      this.requests.sndNke++;
      if (f.a === ADDRESS_SELECTED) {
        const had = this.selected;
        this.selected = null;
        if (had !== null) Object.assign(this.slave(had), { cursor: 0, lastFcb: null });
        return had === null ? null : Uint8Array.of(ACK);
      }
      const t = this.target(f.a);
      if (t === null) return null;
      Object.assign(this.slave(t), { cursor: 0, lastFcb: null });
      return Uint8Array.of(ACK);
    }
    if (f.type === 'short' && c === C_REQ_UD2) {
      this.requests.reqUd2++;
      const t = this.target(f.a);
      if (t === null) return null;
      return this.answer(t, f.c);
    }
    if (f.type !== 'short' && c === C_SND_UD) {
      if (f.ci === 0x52 && f.a === ADDRESS_SELECTED) {
        this.requests.select++;
        const matches = [...this.secondaries].filter(([a, sec]) => !this.o.silent?.has(a) && selectionMatches(f.data, sec));
        if (matches.length === 0) {
          this.selected = null;
          return null;
        }
        if (matches.length > 1) {
          this.selected = null;
          return Uint8Array.of(0xe5 ^ 0x21, 0x3c); // several slaves answer at once: noise
        }
        this.selected = matches[0]![0];
        Object.assign(this.slave(this.selected), { cursor: 0, lastFcb: null });
        return Uint8Array.of(ACK);
      }
      const t = this.target(f.a);
      if (t === null) return null;
      if (f.ci === 0x50) {
        this.requests.reset++;
        Object.assign(this.slave(t), { cursor: 0, lastFcb: null });
      }
      return Uint8Array.of(ACK);
    }
    return null;
  }

  /** RSP_UD for REQ_UD2 with control field `c`, following the FCB rules. */
  private answer(address: number, c: number): Uint8Array {
    const s = this.slave(address);
    const fcb = c & C_FCV ? (c & C_FCB ? 1 : 0) : null;
    if (fcb === null || s.lastFcb === null || s.telegrams.length === 0) {
      // No FCB to follow, or the first request since a reset: a fresh answer from the first telegram.
      s.cursor = 0;
      this.refresh(address, s);
    } else if (fcb !== s.lastFcb) {
      s.cursor++;
      if (s.cursor >= s.telegrams.length) {
        s.cursor = 0;
        this.refresh(address, s);
      }
    }
    s.lastFcb = fcb;
    return s.telegrams[s.cursor]!;
  }

  private refresh(address: number, s: SlaveState): void {
    const index = this.o.slaves.get(address)!;
    const mode = this.o.encrypted?.has(address) ? 5 : 0;
    s.telegrams = this.o.fleet.wiredResponses(index, (this.o.now ?? Date.now)(), address, this.o.recordsPerTelegram ?? 4, s.access, mode);
    s.access = (s.access + s.telegrams.length) & 0xff;
  }
}
