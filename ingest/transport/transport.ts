/**
 * The byte transport a DLMS session runs over: TCP to a static-IP meter, a connection a meter opened to
 * CENC, a UDP peer. The session owns no socket: it writes frames and receives chunks through a receiver it
 * attaches for its lifetime; whoever holds the socket decides what `close()` means (a lease gives the
 * connection back instead of closing it).
 */
export interface TransportReceiver {
  onData(chunk: Uint8Array): void;
  /** The transport is gone (peer closed, reset, idle timeout); `reason` is for the exchange log. */
  onClose(reason: string): void;
}

export interface ByteTransport {
  /** "ip:port" of the other side, for logs and raw-frame context. */
  readonly remote: string;
  readonly closed: boolean;
  write(frames: readonly Uint8Array[]): void;
  /** Route what arrives to `r` (replacing the receiver attached before). */
  attach(r: TransportReceiver): void;
  close(): void;
}
