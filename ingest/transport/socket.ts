/** A ByteTransport over a net.Socket, and the TCP client connector for HES-initiated sessions. */
import { connect, type Socket } from 'node:net';
import type { ByteTransport, TransportReceiver } from './transport.js';

/** Told once when the socket is gone, after the receiver (CENC forgets the held connection). */
export interface CloseWatcher {
  transportClosed(): void;
}

const TRANSPORT = Symbol('transport');
type Owned = Socket & { [TRANSPORT]: SocketTransport };

// One set of listener functions for all sockets (the transport hangs on the socket): a held connection costs
// no closures of its own.
function onSocketData(this: Owned, chunk: Buffer): void {
  this[TRANSPORT].received(chunk);
}
function onSocketError(): void {} // 'close' follows and carries the news
function onSocketClose(this: Owned, hadError: boolean): void {
  this[TRANSPORT].socketClosed(hadError);
}

export class SocketTransport implements ByteTransport {
  readonly remote: string;
  watcher: CloseWatcher | undefined;
  private receiver: TransportReceiver | undefined;
  private _closed = false;

  /** `remote` when the caller knows it (a dialled address): asking the socket costs a system call per side. */
  constructor(
    readonly socket: Socket,
    remote?: string,
  ) {
    this.remote = remote ?? `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    (socket as Owned)[TRANSPORT] = this;
    socket.setNoDelay(true);
    socket.on('data', onSocketData);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
  }

  get closed(): boolean {
    return this._closed || this.socket.destroyed;
  }

  write(frames: readonly Uint8Array[]): void {
    if (this.closed || frames.length === 0) return;
    if (frames.length === 1) {
      this.socket.write(frames[0]!);
      return;
    }
    this.socket.cork();
    for (const f of frames) this.socket.write(f);
    this.socket.uncork();
  }

  attach(r: TransportReceiver): void {
    this.receiver = r;
  }

  close(): void {
    if (this._closed) return;
    this._closed = true;
    this.socket.destroy();
  }

  /** @internal */
  received(chunk: Buffer): void {
    this.receiver?.onData(chunk);
  }

  /** @internal */
  socketClosed(hadError: boolean): void {
    this._closed = true;
    this.receiver?.onClose(hadError ? 'connection reset' : 'connection closed by the peer');
    this.watcher?.transportClosed();
  }
}

export class ConnectError extends Error {
  override readonly name = 'ConnectError';
}

/** Open a TCP connection to a meter (or its modem); rejects with ConnectError after `timeoutMs`. */
export function connectTcp(host: string, port: number, timeoutMs = 10_000): Promise<SocketTransport> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ConnectError(`no TCP connection to ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(new SocketTransport(socket, `${host}:${port}`));
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new ConnectError(`could not connect to ${host}:${port}: ${e.code ?? e.message}`));
    });
  });
}
