/**
 * The HES clock against an NTP server (seed 001 §2.1: the HES keeps a clock synchronised with the central time):
 * an SNTP query over UDP now and every poll, the last offset kept. The host's own NTP daemon sets the clock;
 * this only watches it. Above the threshold the health detail raises an alarm and the scheduler does not
 * write meters' clocks from it (scheduler.ts executeCommand).
 */
import { createSocket } from 'node:dgram';
import { clockOffset, parseSntpReply, sntpRequest } from '../../decoders/ntp/sntp.js';

export interface ClockWatchOptions {
  /** host or host:port (default port 123). */
  server: string;
  /** An offset above this is an alarm. */
  maxOffsetSeconds: number;
  /** Between queries (default 5 min). */
  pollMs?: number;
  /** A query without a reply in this time fails (default 3 s). */
  timeoutMs?: number;
  now?: () => number;
}

export interface ClockState {
  server: string;
  maxOffsetSeconds: number;
  /** Local clock minus NTP time, seconds (positive: the HES clock is ahead); absent until a query succeeded. */
  offsetSeconds?: number;
  roundTripMs?: number;
  /** When the offset was measured. */
  checkedAt?: string;
  lastError?: { at: string; message: string };
}

/** One SNTP query: the local clock's offset from the server's (RFC 4330 sign: positive = server ahead). */
export function queryNtp(host: string, port: number, timeoutMs: number, now: () => number = Date.now): Promise<{ offsetMs: number; roundTripMs: number }> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const t1 = now();
    const request = sntpRequest(t1);
    const done = (e?: Error, v?: { offsetMs: number; roundTripMs: number }) => {
      clearTimeout(timer);
      socket.close();
      if (e) reject(e);
      else resolve(v!);
    };
    const timer = setTimeout(() => done(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (e) => done(e));
    socket.on('message', (msg) => {
      const t4 = now();
      // A reply to another request (a late one) does not echo this request's transmit timestamp.
      if (msg.length < 48 || !msg.subarray(24, 32).equals(request.subarray(40, 48))) return;
      try {
        const r = parseSntpReply(msg);
        done(undefined, clockOffset(t1, r.receiveMs, r.transmitMs, t4));
      } catch (e) {
        done(e as Error);
      }
    });
    socket.send(request, port, host, (e) => e && done(e));
  });
}

export class ClockWatch {
  readonly #o: Required<ClockWatchOptions>;
  readonly #host: string;
  readonly #port: number;
  #state: ClockState;
  #timer: NodeJS.Timeout | undefined;

  constructor(o: ClockWatchOptions) {
    this.#o = { pollMs: 300_000, timeoutMs: 3000, now: Date.now, ...o };
    const m = /^(.+?)(?::(\d{1,5}))?$/.exec(o.server.startsWith('[') ? o.server.replace(/^\[(.+)\]/, '$1') : o.server)!;
    this.#host = m[1]!;
    this.#port = m[2] ? Number(m[2]) : 123;
    this.#state = { server: o.server, maxOffsetSeconds: o.maxOffsetSeconds };
  }

  get state(): ClockState {
    return { ...this.#state };
  }

  /** Queries the server once; a failure is kept as the last error (the last offset stays). */
  async check(): Promise<ClockState> {
    try {
      const { offsetMs, roundTripMs } = await queryNtp(this.#host, this.#port, this.#o.timeoutMs, this.#o.now);
      const { lastError, ...rest } = this.#state;
      this.#state = { ...rest, ...(lastError ? { lastError } : {}), offsetSeconds: -offsetMs / 1000, roundTripMs, checkedAt: new Date(this.#o.now()).toISOString() };
    } catch (e) {
      this.#state = { ...this.#state, lastError: { at: new Date(this.#o.now()).toISOString(), message: e instanceof Error ? e.message : String(e) } };
    }
    return this.state;
  }

  /** Why meters must not take their time from this clock now (the last measured offset is above the threshold), or undefined. */
  problem(): string | undefined {
    const off = this.#state.offsetSeconds;
    if (off === undefined || Math.abs(off) <= this.#o.maxOffsetSeconds) return undefined;
    return `the HES clock is ${Math.abs(off).toFixed(3)} s ${off > 0 ? 'ahead of' : 'behind'} NTP (${this.#state.server}), above the ${this.#o.maxOffsetSeconds} s allowed`;
  }

  /** Checks now and every poll. */
  start(): void {
    if (this.#timer) return;
    void this.check();
    this.#timer = setInterval(() => void this.check(), this.#o.pollMs).unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
