/**
 * A connection held open for a meter that connected in (CENC): between sessions its bytes go to an idle
 * receiver (pushes, last gasp, keep-alive); a session borrows it with `lease()` and gives it back with the
 * lease's `close()`. One lease at a time, in request order: a held connection is an exclusive channel.
 */
import { ConnectError } from './socket.js';
import type { ByteTransport, TransportReceiver } from './transport.js';

export interface LeaseOptions {
  /** Give up waiting after this long. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class HeldConnection {
  private active: Lease | undefined;
  private waiting: ((l: Lease) => void)[] | undefined; // made when a second lease waits: most connections idle

  constructor(
    readonly transport: ByteTransport,
    /** Gets the bytes between leases. */
    readonly idle: TransportReceiver,
  ) {
    transport.attach(idle);
  }

  get busy(): boolean {
    return this.active !== undefined;
  }

  /**
   * A transport for one session; resolves when the sessions before it have given the connection back. A
   * caller that cannot wait for ever (an AMR agent may hold the meter for long) gives a timeout or a signal:
   * it then leaves the queue with ConnectError.
   */
  lease(o: LeaseOptions = {}): Promise<ByteTransport> {
    return new Promise((resolve, reject) => {
      if (!this.active) return resolve((this.active = new Lease(this)));
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', abort);
      };
      const grant = (l: Lease): void => {
        done();
        resolve(l);
      };
      const leave = (why: string): void => {
        done();
        const i = this.waiting!.indexOf(grant);
        if (i >= 0) this.waiting!.splice(i, 1);
        reject(new ConnectError(why));
      };
      const abort = (): void => leave('cancelled while the connection was busy');
      (this.waiting ??= []).push(grant);
      if (o.timeoutMs !== undefined) timer = setTimeout(() => leave(`the connection stayed busy for ${Math.round(o.timeoutMs! / 1000)} s (another session or an AMR agent holds it)`), o.timeoutMs);
      if (o.signal?.aborted) abort();
      else o.signal?.addEventListener('abort', abort, { once: true });
    });
  }

  /** @internal the lease ends: the idle receiver gets the bytes again, or the next lease starts. */
  release(l: Lease): void {
    if (this.active !== l) return;
    this.transport.attach(this.idle);
    this.active = undefined;
    const next = this.waiting?.shift();
    if (next) next((this.active = new Lease(this)));
  }
}

class Lease implements ByteTransport {
  private ended = false;

  constructor(private readonly held: HeldConnection) {}

  get remote(): string {
    return this.held.transport.remote;
  }

  get closed(): boolean {
    return this.ended || this.held.transport.closed;
  }

  write(frames: readonly Uint8Array[]): void {
    if (!this.ended) this.held.transport.write(frames);
  }

  attach(r: TransportReceiver): void {
    if (!this.ended) this.held.transport.attach(r);
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.held.release(this);
  }
}
