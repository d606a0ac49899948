/**
 * CENC: the server meters with dynamic addresses (GPRS/LTE modems) connect to. Each listener (TCP or UDP,
 * wrapper or HDLC) may be bound to a project; a new connection identifies itself (see identify.ts), is bound
 * to its registered device or auto-registered into the listener's project (source "self-registered"), and is
 * then held: kept alive, its pushes published, and lent to HES sessions and AMR agents one at a time.
 * Connect, disconnect, registration and last-gasp events go to the directory.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { ConnectionSettingsInit } from '../../decoders/dlms/connection/index.js';
import { PushReceiver, type PushContext, type PushHandlers } from '../push/receiver.js';
import type { InvocationCounterStore } from '../session/counters.js';
import { SessionError } from '../session/errors.js';
import { runSession, type Operation, type RunOptions, type SessionResult } from '../session/run.js';
import type { RawFrame, RawFrameSink } from '../transport/frames.js';
import { HeldConnection, type LeaseOptions } from '../transport/held.js';
import { SocketTransport, type CloseWatcher } from '../transport/socket.js';
import type { ByteTransport, TransportReceiver } from '../transport/transport.js';
import type { DeviceDirectory, DeviceEventType, DeviceIdentity, DeviceRecord } from './directory.js';
import { identifyPacket, type Identification } from './identify.js';
import type { Counter } from 'prom-client';
import { HesMetrics } from '../../metrics/index.js';

export interface CencListener {
  protocol: 'tcp' | 'udp';
  /** 0: any free port (tests); see `ports()` for what was bound. */
  port: number;
  host?: string;
  framing: 'wrapper' | 'hdlc';
  /** Port → project binding: new devices arriving here are registered into this project (else the directory's binding of the port, if any). */
  projectId?: string;
}

export interface CencOptions {
  listeners: CencListener[];
  directory: DeviceDirectory;
  sink?: RawFrameSink;
  /** Invocation counters of the sessions run over held connections (a meter's replay guard outlives a session). */
  counters?: InvocationCounterStore;
  /** Close a connection that has not identified itself within this time (default 30 s). */
  identificationTimeoutMs?: number;
  /** TCP keep-alive probe interval (default 60 s). */
  keepAliveMs?: number;
  /** Close a connection silent for this long (0 = never, the default for TCP; UDP peers default to 10 min). */
  idleTimeoutMs?: number;
  /** Accept at most this many held connections (default unlimited). */
  maxConnections?: number;
  /** A directory call failed (the registry is unreachable): told here, never thrown at the socket's event loop. */
  onError?: (e: unknown, context: string) => void;
  /** Where CENC's metrics are registered (connections accepted and held, identifications). */
  metrics?: HesMetrics;
}

export interface HeldMeter {
  device: DeviceRecord;
  framing: 'wrapper' | 'hdlc';
  identity: DeviceIdentity;
  remote: string;
  port: number;
  since: number;
  connection: HeldConnection;
}

interface Bound {
  l: CencListener;
  port: number;
  /** "cenc:<port>", the channel of its connections' frames and sessions. */
  channel: string;
  tcp?: Server;
  udp?: UdpSocket;
  peers?: Map<string, UdpPeer>;
}

/**
 * One held connection: what `connected()` tells, the context its pushes are published with, and the watcher
 * of its transport, in one object (tens of thousands are held; no closures per connection).
 */
class Held implements HeldMeter, PushContext, CloseWatcher {
  readonly framing: 'wrapper' | 'hdlc';
  readonly channel: string;
  readonly deviceId: string;
  readonly projectId: string;
  readonly port: number;
  readonly since = Date.now();
  readonly connection: HeldConnection;

  constructor(
    private readonly server: CencServer,
    b: Bound,
    t: ByteTransport,
    readonly remote: string,
    readonly device: DeviceRecord,
    readonly identity: DeviceIdentity,
    receivers: PushHandlers<Held>,
    sink: RawFrameSink | undefined,
  ) {
    this.framing = b.l.framing;
    this.channel = b.channel;
    this.port = b.port;
    this.deviceId = device.deviceId;
    this.projectId = device.projectId;
    this.connection = new HeldConnection(t, new PushReceiver<Held>(this, sink, receivers));
  }

  transportClosed(): void {
    this.server.gone(this);
  }
}

const MAX_IDENTIFICATION_BYTES = 4096;

export class CencServer {
  private readonly bound: Bound[] = [];
  private readonly held = new Map<string, Held>();
  private sweeper: NodeJS.Timeout | undefined;
  private pending = 0;
  /** Shared by every held connection's push receiver. */
  private readonly receivers: PushHandlers<Held> = { onLastGasp: (identity, h) => void this.event('last-gasp', h.port, h.remote, h.device, identity) };

  private readonly accepted: Counter<'transport'>;
  private readonly outcomes: Counter<'outcome'>;

  constructor(private readonly o: CencOptions) {
    const m = o.metrics ?? new HesMetrics();
    this.accepted = m.counter('hes_cenc_connections_accepted_total', 'Connections accepted by the CENC listeners (UDP: new peers), by transport', ['transport']);
    this.outcomes = m.counter(
      'hes_cenc_identifications_total',
      'What became of connections and their identification, by outcome: connected (bound to its device), registered (a new device), unbound (no device, no project bound to the port), unidentified, last-gasp, disconnected',
      ['outcome'],
    );
    m.gauge('hes_cenc_connections', 'Meter connections CENC holds now', [], (g) => g.set(this.held.size));
  }

  async start(): Promise<void> {
    for (const l of this.o.listeners) this.bound.push(await (l.protocol === 'tcp' ? this.listenTcp(l) : this.listenUdp(l)));
    if (this.bound.some((b) => b.udp)) {
      this.sweeper = setInterval(() => this.sweepUdp(), Math.min(this.udpIdleMs(), 60_000));
      this.sweeper.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    for (const h of this.held.values()) h.connection.transport.close();
    for (const b of this.bound) {
      if (b.tcp) await new Promise((r) => b.tcp!.close(r));
      if (b.udp) await new Promise<void>((r) => b.udp!.close(() => r()));
    }
    this.bound.length = 0;
  }

  /** The bound ports, in listener order. */
  ports(): number[] {
    return this.bound.map((b) => b.port);
  }

  get connectionCount(): number {
    return this.held.size;
  }

  connected(deviceId: string): HeldMeter | undefined {
    return this.held.get(deviceId);
  }

  /** Every held connection (for operators' lists). */
  connections(): IterableIterator<HeldMeter> {
    return this.held.values();
  }

  /** The held connection of a device for one session (waits for the session before it, up to the options' limits). */
  lease(deviceId: string, options?: LeaseOptions): Promise<ByteTransport> {
    const h = this.held.get(deviceId);
    if (!h) return Promise.reject(new SessionError('connect', `could not start a session: device ${deviceId} is not connected to CENC`, 'not-connected'));
    return h.connection.lease(options);
  }

  /** Run a session over the meter's held connection. */
  runSession(deviceId: string, settings: ConnectionSettingsInit, operations: readonly Operation[], options: RunOptions = {}): Promise<SessionResult> {
    const h = this.held.get(deviceId);
    const context = { deviceId, ...(h ? { projectId: h.projectId, channel: h.channel } : {}) };
    return runSession(() => this.lease(deviceId), settings, operations, {
      ...options,
      context,
      ...(this.o.sink ? { sink: this.o.sink } : {}),
      ...(this.o.counters && !options.counters ? { counters: { store: this.o.counters, deviceId } } : {}),
    });
  }

  // ---- TCP ----

  private listenTcp(l: CencListener): Promise<Bound> {
    const server = createServer((s) => this.acceptTcp(b, s));
    const b: Bound = { l, port: 0, channel: '', tcp: server };
    server.maxConnections = this.o.maxConnections ?? Infinity;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: l.port, host: l.host ?? '0.0.0.0', backlog: 4096 }, () => {
        b.port = (server.address() as AddressInfo).port;
        b.channel = `cenc:${b.port}`;
        resolve(b);
      });
    });
  }

  private acceptTcp(b: Bound, socket: Socket): void {
    this.accepted.inc({ transport: 'tcp' });
    socket.setKeepAlive(true, this.o.keepAliveMs ?? 60_000);
    if (this.o.idleTimeoutMs) socket.setTimeout(this.o.idleTimeoutMs, () => socket.destroy());
    const t = new SocketTransport(socket);
    const remote = `tcp:${t.remote}`;
    let buffered = new Uint8Array(0);
    const timer = setTimeout(() => {
      void this.event('unidentified', b.port, remote, undefined, undefined, 'no identification in time');
      t.close();
    }, this.o.identificationTimeoutMs ?? 30_000);
    t.attach({
      onData: (chunk) => {
        buffered = buffered.length ? Buffer.concat([buffered, chunk]) : Uint8Array.from(chunk);
        const id = identifyPacket(buffered, b.l.framing);
        if (!id) {
          if (buffered.length > MAX_IDENTIFICATION_BYTES) {
            clearTimeout(timer);
            void this.event('unidentified', b.port, remote, undefined, undefined, 'first bytes are no identification');
            t.close();
          }
          return;
        }
        clearTimeout(timer);
        void this.identified(b, t, remote, id, buffered);
      },
      onClose: () => clearTimeout(timer),
    });
  }

  // ---- UDP ----

  private listenUdp(l: CencListener): Promise<Bound> {
    const udp = createSocket('udp4');
    const b: Bound = { l, port: 0, channel: '', udp, peers: new Map() };
    udp.on('message', (msg, rinfo) => this.datagram(b, msg, rinfo));
    return new Promise((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(l.port, l.host ?? '0.0.0.0', () => {
        b.port = udp.address().port;
        b.channel = `cenc:${b.port}`;
        resolve(b);
      });
    });
  }

  private datagram(b: Bound, msg: Buffer, r: RemoteInfo): void {
    const key = `${r.address}:${r.port}`;
    const peer = b.peers!.get(key);
    if (peer) {
      peer.deliver(msg);
      return;
    }
    this.accepted.inc({ transport: 'udp' });
    const id = identifyPacket(msg, b.l.framing);
    const remote = `udp:${key}`;
    if (!id) {
      void this.event('unidentified', b.port, remote, undefined, undefined, 'datagram from an unknown peer holds no identification');
      return;
    }
    const p = new UdpPeer(b.udp!, r.address, r.port, () => b.peers!.delete(key));
    if (id.kind !== 'last-gasp') b.peers!.set(key, p);
    void this.identified(b, p, remote, id, msg);
  }

  private udpIdleMs(): number {
    return this.o.idleTimeoutMs || 600_000;
  }

  private sweepUdp(): void {
    const limit = Date.now() - this.udpIdleMs();
    for (const b of this.bound) for (const p of b.peers?.values() ?? []) if (p.lastSeen < limit) p.close();
  }

  // ---- binding ----

  private async identified(b: Bound, t: ByteTransport, remote: string, id: Identification, first: Uint8Array): Promise<void> {
    // bytes arriving while the directory answers are kept and replayed to the held connection
    const early: Uint8Array[] = [];
    t.attach({ onData: (c) => early.push(Uint8Array.from(c)), onClose: () => undefined });
    if (id.kind === 'last-gasp') {
      const device = await this.o.directory.find(id.identity).catch((e: unknown) => void this.o.onError?.(e, `last gasp of ${id.identity.value}`));
      await this.event('last-gasp', b.port, remote, device, id.identity);
      t.close();
      return;
    }
    if (this.o.maxConnections !== undefined && this.held.size + this.pending >= this.o.maxConnections) {
      t.close();
      return;
    }
    this.pending++;
    let device: DeviceRecord | undefined;
    try {
      device = await this.o.directory.find(id.identity);
      for (const other of id.kind === 'identification' ? id.alternatives : []) device ??= await this.o.directory.find(other);
      const projectId = device ? undefined : b.l.projectId ?? (await this.o.directory.projectForPort(b.port));
      if (projectId !== undefined) {
        device = await this.o.directory.register(id.identity, projectId);
        await this.event('registered', b.port, remote, device, id.identity);
      }
    } catch (e) {
      // the registry is unreachable: the modem retries later; a held socket nobody can read is no use
      this.o.onError?.(e, `identifying ${id.identity.kind} ${id.identity.value} from ${remote}`);
      t.close();
      return;
    } finally {
      this.pending--;
    }
    if (!device || t.closed) {
      if (!device) {
        await this.event('unbound', b.port, remote, undefined, id.identity, `no device and no project bound to port ${b.port}`);
        // a push of a meter nobody knows is data all the same: published without a device, not dropped
        if (id.kind === 'notification') this.publish({ framing: b.l.framing, channel: b.channel, remote }, first);
      } else if (id.kind === 'notification') {
        // a meter that pushed and hung up (a HES-initiated meter pushing to its Push Setup's destination)
        this.publish({ framing: b.l.framing, channel: b.channel, remote, deviceId: device.deviceId, projectId: device.projectId }, first);
      }
      t.close();
      return;
    }
    const old = this.held.get(device.deviceId);
    if (old) old.connection.transport.close(); // the modem reconnected: the old socket is dead
    // the held connection is built apart from this function, whose context keeps the first bytes alive
    const h = this.hold(b, t, remote, device, id.identity);
    await this.event('connected', b.port, remote, device, id.identity);
    if (id.kind === 'notification') this.publish(h, first);
    else if (id.rest.length) h.connection.idle.onData(id.rest);
    for (const c of early) h.connection.idle.onData(c);
    if (t.closed) this.gone(h);
  }

  private hold(b: Bound, t: ByteTransport, remote: string, device: DeviceRecord, identity: DeviceIdentity): Held {
    const h = new Held(this, b, t, remote, device, identity, this.receivers, this.o.sink);
    this.held.set(device.deviceId, h);
    if (t instanceof SocketTransport || t instanceof UdpPeer) t.watcher = h;
    return h;
  }

  /** @internal the transport of a held connection is gone. */
  gone(h: Held): void {
    if (this.held.get(h.deviceId) !== h) return;
    this.held.delete(h.deviceId);
    void this.event('disconnected', h.port, h.remote, h.device, h.identity);
  }

  private publish(from: Pick<Held, 'framing' | 'remote' | 'channel'> & Partial<Pick<Held, 'deviceId' | 'projectId'>>, bytes: Uint8Array): void {
    const f: RawFrame = { direction: 'rx', bytes, receivedAt: Date.now(), kind: 'unsolicited', framing: from.framing, remote: from.remote, channel: from.channel };
    if (from.deviceId !== undefined) f.deviceId = from.deviceId;
    if (from.projectId !== undefined) f.projectId = from.projectId;
    this.o.sink?.publish(f);
  }

  /** Records a connection event; a failure is reported, not thrown (callers do not wait on the registry). */
  private event(type: DeviceEventType, port: number, remote: string, device: DeviceRecord | undefined, identity: DeviceIdentity | undefined, detail?: string): Promise<void> {
    this.outcomes.inc({ outcome: type });
    return this.o.directory.recordEvent({
      type,
      at: Date.now(),
      remote,
      port,
      ...(device ? { deviceId: device.deviceId } : {}),
      ...(identity ? { identity } : {}),
      ...(detail ? { detail } : {}),
    }).catch((e: unknown) => this.o.onError?.(e, `recording ${type} of ${device?.deviceId ?? remote}`));
  }
}

/** A UDP peer as a transport: one datagram per frame written; what it sends arrives through the listener. */
class UdpPeer implements ByteTransport {
  readonly remote: string;
  lastSeen = Date.now();
  watcher: CloseWatcher | undefined;
  private receiver: TransportReceiver | undefined;
  private _closed = false;

  constructor(
    private readonly socket: UdpSocket,
    private readonly address: string,
    private readonly port: number,
    private readonly forget: () => void,
  ) {
    this.remote = `${address}:${port}`;
  }

  get closed(): boolean {
    return this._closed;
  }

  deliver(msg: Uint8Array): void {
    this.lastSeen = Date.now();
    this.receiver?.onData(msg);
  }

  write(frames: readonly Uint8Array[]): void {
    if (this._closed) return;
    for (const f of frames) this.socket.send(f, this.port, this.address);
  }

  attach(r: TransportReceiver): void {
    this.receiver = r;
  }

  close(): void {
    if (this._closed) return;
    this._closed = true;
    this.forget();
    this.receiver?.onClose('closed');
    this.watcher?.transportClosed();
  }
}
