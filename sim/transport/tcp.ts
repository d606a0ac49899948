/**
 * HES-initiated transports: TCP (one port for the fleet, or one port per meter) and the UDP wrapper.
 * A connection holds nothing until its first bytes say which meter it is for.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import type { Fleet } from '../fleet.js';
import { resolveMeter } from './addressing.js';
import { ModeEPort } from './mode-e.js';
import { MeterSession } from './session.js';

export interface TcpOptions {
  fleet: Fleet;
  framing: 'hdlc' | 'wrapper';
  host?: string;
  port: number;
  /** Meter i listens on port + i (else all meters share `port`). */
  portPerMeter?: boolean;
  /** Close a connection quiet for this long (default 120 s). */
  idleTimeoutMs?: number;
  /**
   * HDLC only: the meters' ports open in IEC 62056-21 mode E (a serial port behind a transparent modem): a
   * connection is silent until the request "/?[serial]!", then HDLC follows the option select (modeE.ts).
   */
  modeE?: boolean;
}

export interface RunningTransport {
  ports: number[];
  /** Open connections / sessions. */
  readonly connections: number;
  close(): Promise<void>;
}

function attach(socket: Socket, o: TcpOptions, count: { n: number }, fixedIndex?: number): void {
  count.n++;
  let session: MeterSession | undefined;
  let pending: Uint8Array = new Uint8Array(0);
  const opening = o.modeE ? new ModeEPort(o.fleet, fixedIndex) : undefined;
  socket.setNoDelay(true);
  socket.setTimeout(o.idleTimeoutMs ?? 120_000, () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    if (session) return session.receive(bytes);
    let joined = bytes;
    if (pending.length) {
      joined = new Uint8Array(pending.length + bytes.length);
      joined.set(pending);
      joined.set(bytes, pending.length);
    }
    if (opening && !opening.open) {
      const step = opening.receive(joined);
      if (step.reply) socket.write(step.reply);
      if (step.close) return void socket.destroy();
      joined = step.rest;
      pending = new Uint8Array(0);
      if (!opening.open || !joined.length) return;
    }
    const r = resolveMeter(o.framing, joined, o.fleet.size, opening?.index ?? fixedIndex);
    if (r === 'need-more') {
      pending = joined.slice(); // the socket's chunk is not ours to keep
      return;
    }
    if (r === 'unknown') return void socket.destroy();
    session = new MeterSession(o.fleet, r.index, r.address, { write: (b) => void socket.write(b), close: () => socket.destroy() });
    session.receive(joined);
  });
  socket.on('error', () => socket.destroy());
  socket.on('close', () => {
    count.n--;
    session?.close();
  });
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}

export async function startTcp(o: TcpOptions): Promise<RunningTransport> {
  if (o.modeE && o.framing !== 'hdlc') throw new Error('IEC 62056-21 mode E opens HDLC: it needs framing hdlc');
  const host = o.host ?? '127.0.0.1';
  const count = { n: 0 };
  const servers: Server[] = [];
  const ports: number[] = [];
  const meters = o.portPerMeter ? o.fleet.size : 1;
  for (let i = 0; i < meters; i++) {
    const fixed = o.portPerMeter ? i : undefined;
    const server = createServer((s) => attach(s, o, count, fixed));
    servers.push(server);
    ports.push(await listen(server, o.port === 0 ? 0 : o.port + i, host));
  }
  const sockets = new Set<Socket>();
  for (const s of servers) s.on('connection', (c) => (sockets.add(c), c.on('close', () => sockets.delete(c))));
  return {
    ports,
    get connections() {
      return count.n;
    },
    async close() {
      for (const c of sockets) c.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}

/** The UDP wrapper: one datagram = one WPDU; a session per (peer, wPort), dropped when idle. */
export async function startUdp(o: Omit<TcpOptions, 'framing' | 'portPerMeter'>): Promise<RunningTransport> {
  const socket = createSocket('udp4');
  const sessions = new Map<string, { session: MeterSession; timer: NodeJS.Timeout }>();
  const idle = o.idleTimeoutMs ?? 120_000;
  socket.on('message', (msg, rinfo) => {
    const bytes = new Uint8Array(msg.buffer, msg.byteOffset, msg.length);
    const r = resolveMeter('wrapper', bytes, o.fleet.size);
    if (typeof r === 'string') return;
    const key = `${rinfo.address}:${rinfo.port}/${r.address.serverWPort}`;
    let s = sessions.get(key);
    if (!s) {
      const session = new MeterSession(o.fleet, r.index, r.address, {
        write: (b) => socket.send(b, rinfo.port, rinfo.address),
        close: () => {
          clearTimeout(sessions.get(key)?.timer);
          sessions.delete(key);
        },
      });
      s = { session, timer: setTimeout(() => session.close(), idle) };
      sessions.set(key, s);
    }
    s.timer.refresh();
    s.session.receive(bytes);
  });
  const port = await new Promise<number>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(o.port, o.host ?? '127.0.0.1', () => resolve(socket.address().port));
  });
  return {
    ports: [port],
    get connections() {
      return sessions.size;
    },
    async close() {
      for (const s of [...sessions.values()]) s.session.close();
      await new Promise<void>((r) => socket.close(() => r()));
    },
  };
}
