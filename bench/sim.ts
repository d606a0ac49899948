/**
 * Simulator benchmarks: memory per idle meter of a fleet (issue 3: ≥ 10,000 meters per process),
 * memory per open meter session, the cost of answering reads (register, 1-day load profile), and
 * ≥ 10,000 real connections: meter-initiated to a listener, and HES-initiated behind one port. The other
 * end of those connections runs in a child process (this file with argument `peer-listener` or
 * `peer-clients`), so each process stays within its own file-descriptor limit.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { measure, type Benchmark, type BenchResult } from './harness.js';
import { entryAccess } from '../decoders/dlms/apdu/index.js';
import { DlmsClientConnection } from '../decoders/dlms/connection/index.js';
import { parseObis } from '../decoders/dlms/obis.js';
import { DEFAULT_FLEET, Fleet } from '../sim/fleet.js';
import { MeterObjects } from '../sim/objects/index.js';
import { MeterSession } from '../sim/transport/session.js';
import { WPORT_BASE } from '../sim/transport/addressing.js';
import { startInitiated } from '../sim/transport/initiated.js';
import { startTcp } from '../sim/transport/tcp.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
}

const NOW = Date.UTC(2025, 5, 1, 10, 0, 0);

export const benchmarks: Benchmark[] = [
  {
    name: 'sim.memory',
    run(): BenchResult[] {
      const n = 100_000;
      const before = heap();
      const fleet = new Fleet({ ...DEFAULT_FLEET, meters: n, security: 'high-gmac' }, () => NOW);
      const idle = (heap() - before) / n;
      const sessions: MeterSession[] = [];
      const k = 2000;
      const base = heap();
      for (let i = 0; i < k; i++) sessions.push(new MeterSession(fleet, i, { framing: 'hdlc', serverLogicalAddress: 1, serverAddressSize: 1 }, { write: () => {}, close: () => {} }));
      const perSession = (heap() - base) / k;
      sessions.length = 0;
      return [
        { name: 'sim.memory.idle_meter', value: Math.round(idle * 10) / 10, unit: 'bytes/meter', meters: n },
        { name: 'sim.memory.open_session', value: Math.round(perSession), unit: 'bytes/session', sessions: k },
      ];
    },
  },
  {
    name: 'sim.reads',
    run(): BenchResult[] {
      const fleet = new Fleet({ ...DEFAULT_FLEET, meters: 1000 }, () => NOW);
      let i = 0;
      const session = { clientSap: 16, serverSap: 1, mechanism: 0, ciphered: false, invocationCounter: 0 };
      const register = { classId: 3, instanceId: parseObis('1.0.1.8.0.255'), attributeId: 2 };
      const reg = measure(() => {
        const m = fleet.meter(i++ % 1000);
        new MeterObjects(fleet.table, { meter: m, nowMs: NOW, session }).get(register);
      });
      const profile = { classId: 7, instanceId: parseObis('1.0.99.3.0.255'), attributeId: 2 };
      const day = (rows: number) => {
        const access = entryAccess({ fromEntry: 2976 - rows + 1, toEntry: 2976, fromSelectedValue: 1, toSelectedValue: 0 });
        return measure(() => {
          const m = fleet.meter(i++ % 1000);
          new MeterObjects(fleet.table, { meter: m, nowMs: NOW, session }).get(profile, access);
        });
      };
      const day48 = day(48);
      const day96 = day(96);
      return [
        { name: 'sim.reads.register_total', value: Math.round(reg.opsPerSec), unit: 'reads/s', history_days: 151 },
        { name: 'sim.reads.profile_48_rows', value: Math.round(day48.opsPerSec), unit: 'reads/s', profile: '1.0.99.3.0.255 (15 min, ce308)' },
        { name: 'sim.reads.profile_96_rows', value: Math.round(day96.opsPerSec), unit: 'reads/s', profile: '1.0.99.3.0.255 (15 min, ce308)' },
      ];
    },
  },
  {
    name: 'sim.initiated',
    async run(): Promise<BenchResult[]> {
      const n = 10_000;
      const peer = await startPeer('peer-listener');
      const fleet = new Fleet({ ...DEFAULT_FLEET, meters: n }, () => NOW);
      const rss0 = rss();
      const t0 = performance.now();
      const sims = startInitiated({ fleet, framing: 'wrapper', host: '127.0.0.1', port: peer.port, announce: 'id', backoffMs: [1000, 10_000] });
      while (sims.connected < n || (await ask(peer.child, 'count')) < n) await sleep(50);
      const secs = (performance.now() - t0) / 1000;
      const perConnection = (rss() - rss0) / n;
      sims.close();
      peer.child.kill();
      return [
        { name: 'sim.initiated.connections', value: n, unit: 'connections', seconds: Math.round(secs * 10) / 10 },
        { name: 'sim.initiated.rss_per_connection', value: Math.round(perConnection), unit: 'bytes/connection' },
      ];
    },
  },
  {
    name: 'sim.gateway',
    async run(): Promise<BenchResult[]> {
      const n = 10_000;
      const fleet = new Fleet({ ...DEFAULT_FLEET, meters: n }, () => NOW);
      const tcp = await startTcp({ fleet, framing: 'wrapper', port: 0 });
      const rss0 = rss();
      const peer = await startPeer('peer-clients', [String(tcp.ports[0]), String(n)]);
      const done = await ask(peer.child, 'done');
      const perSession = (rss() - rss0) / tcp.connections;
      const open = tcp.connections;
      peer.child.kill();
      await tcp.close();
      return [
        { name: 'sim.gateway.sessions', value: open, unit: 'open sessions', seconds: Math.round(done / 100) / 10, reads: 'associate + GET serial + GET one day of 15-minute profile (96 rows), each' },
        { name: 'sim.gateway.sessions_per_second', value: Math.round(n / (done / 1000)), unit: 'sessions/s' },
        { name: 'sim.gateway.rss_per_session', value: Math.round(perSession), unit: 'bytes/session' },
      ];
    },
  },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rss(): number {
  gc();
  return process.memoryUsage().rss;
}

/** The other end of the connections, in a child process. */
async function startPeer(role: string, args: string[] = []): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(fileURLToPath(import.meta.url), [role, ...args], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve) => child.once('message', (m) => resolve((m as { port: number }).port)));
  return { child, port };
}

function ask(child: ChildProcess, what: string): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve((m as { value: number }).value));
    child.send(what);
  });
}

/** Child side: a HES listener counting identified meters, or n clients reading a fleet behind one port. */
async function peer(role: string, args: string[]): Promise<void> {
  const reply = (value: number) => process.send!({ value });
  if (role === 'peer-listener') {
    let identified = 0;
    const server = createServer((s) => {
      s.once('data', () => identified++);
      s.on('error', () => s.destroy());
    });
    server.maxConnections = 1 << 20;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', 8192, () => r()));
    process.on('message', () => reply(identified));
    process.send!({ port: (server.address() as { port: number }).port });
    return;
  }
  const [port, n] = args.map(Number) as [number, number];
  process.send!({ port });
  const sockets: Socket[] = [];
  const t0 = performance.now();
  const profile = { classId: 7, instanceId: parseObis('1.0.99.3.0.255'), attributeId: 2 };
  const day = entryAccess({ fromEntry: 2976 - 95, toEntry: 2976, fromSelectedValue: 1, toSelectedValue: 0 });
  const session = (i: number): Promise<void> =>
    new Promise((resolve) => {
      const s = connect(port, '127.0.0.1');
      sockets.push(s);
      const client = new DlmsClientConnection({ framing: 'wrapper', clientAddress: 16, serverWPort: WPORT_BASE + i });
      let step = 0;
      const pump = (): void => {
        for (let e = client.nextEvent(); e; e = client.nextEvent()) {
          if (e.type === 'associated') client.get({ classId: 1, instanceId: parseObis('0.0.96.1.0.255'), attributeId: 2 });
          else if (e.type === 'get-response' && step++ === 0) client.get(profile, day);
          else if (e.type === 'get-response') resolve();
        }
        for (const b of client.takeOutgoing()) s.write(b);
      };
      s.on('data', (d) => (client.receiveData(new Uint8Array(d)), pump()));
      s.on('connect', () => (client.connect(), client.associate(), pump()));
    });
  // 500 sessions in flight at a time (a HES's connection pool); every connection stays open after
  let next = 0;
  await Promise.all(
    Array.from({ length: 500 }, async () => {
      while (next < n) {
        await session(next++);
      }
    }),
  );
  const ms = performance.now() - t0;
  process.on('message', () => reply(ms));
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2]?.startsWith('peer-')) await peer(process.argv[2], process.argv.slice(3));
