/**
 * A connection held open for a meter that connected in (CENC): between sessions its bytes go to an idle
 * receiver (pushes, last gasp, keep-alive); a session borrows it with `lease()` and gives it back with the
 * lease's `close()`. One lease at a time, in request order: a held connection is an exclusive channel.
 */
import type { ByteTransport, TransportReceiver } from './transport.js';

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

  /** A transport for one session; resolves when the sessions before it have given the connection back. */
  lease(): Promise<ByteTransport> {
    return new Promise((resolve) => {
      const grant = (l: Lease): void => resolve(l);
      if (!this.active) grant((this.active = new Lease(this)));
      else (this.waiting ??= []).push(grant);
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
