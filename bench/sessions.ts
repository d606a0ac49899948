/**
 * Session benchmarks (bench/RESULTS.md):
 *   sessions.read  complete read sessions per second against test meters in a child process on loopback:
 *                  TCP connect, wrapper, AARQ with HLS-GMAC + suite 0 (authenticated encryption), reply_to_HLS,
 *                  GET clock, GET one day of 15-minute load profile by range (96 rows × 4 columns), RLRQ, close.
 *   sessions.held  meter-initiated connections held by one CENC node: connections identified and held, and
 *                  the RSS of the HES process per connection; the file-descriptor limit (`ulimit -n`) of this
 *                  machine caps the count, the RSS is extrapolated to 100,000 and labelled so.
 * The meters (or dialers) run in a child process, so the measured rate includes their CPU on the same 2 cores.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parseObis } from '../decoders/dlms/obis.js';
import { MemoryDeviceDirectory } from '../ingest/cenc/directory.js';
import { CencServer } from '../ingest/cenc/server.js';
import { DlmsSession } from '../ingest/session/session.js';
import { connectTcp } from '../ingest/transport/socket.js';
import { CLIENT_TITLE, LOAD_PROFILE, PROFILE_DAY_MS, TEST_KEYS } from '../ingest/testing/test-meter.js';
import type { Benchmark, BenchResult } from './harness.js';

const script = new URL('../ingest/testing/meter-process.ts', import.meta.url).pathname;

async function child(args: string[]): Promise<{ proc: ChildProcess; first: Record<string, number> }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! });
  const [line] = (await once(lines, 'line')) as [string];
  return { proc, first: JSON.parse(line) as Record<string, number> };
}

function stop(proc: ChildProcess): Promise<unknown> {
  proc.stdin!.end();
  return once(proc, 'exit');
}

const HLS = {
  framing: 'wrapper' as const,
  clientAddress: 1,
  authentication: 'high-gmac' as const,
  securityPolicy: 'authenticated-and-encrypted' as const,
  keys: TEST_KEYS,
  systemTitle: CLIENT_TITLE,
  maxReceivePduSize: 2030,
};
/** The device profile knows the load profile's columns: the session does not read them from the meter. */
const HINTS = {
  captureObjects: [
    { classId: 8, logicalName: parseObis('0.0.1.0.0.255'), attributeIndex: 2, dataIndex: 0 },
    { classId: 3, logicalName: parseObis('1.0.1.8.0.255'), attributeIndex: 2, dataIndex: 0 },
    { classId: 3, logicalName: parseObis('1.0.2.8.0.255'), attributeIndex: 2, dataIndex: 0 },
    { classId: 1, logicalName: parseObis('0.0.96.10.1.255'), attributeIndex: 2, dataIndex: 0 },
  ],
  scalerUnits: [null, { scaler: -1, unit: 30 }, { scaler: 0, unit: 30 }, null],
};

async function readSessions(seconds: number, concurrency: number, meters: number): Promise<BenchResult[]> {
  const children = await Promise.all(Array.from({ length: meters }, () => child([])));
  const ports = children.map((c) => c.first.port!);
  let done = 0;
  let failed = 0;
  let rows = 0;
  const range = { fromMs: PROFILE_DAY_MS, toMs: PROFILE_DAY_MS + 86_400_000 - 1 };
  const one = async (port: number): Promise<void> => {
    const s = await DlmsSession.open(await connectTcp('127.0.0.1', port), HLS, { waitTimeMs: 5000 });
    await s.readClock();
    const profile = await s.readProfile(LOAD_PROFILE, range, HINTS);
    rows += profile.rows.length;
    await s.close();
  };
  let until = 0;
  const worker = async (i: number): Promise<void> => {
    while (Date.now() < until) {
      try {
        await one(ports[i % ports.length]!);
        done++;
      } catch {
        failed++;
      }
    }
  };
  until = Date.now() + 1000; // warm-up
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  done = failed = rows = 0;
  const t0 = performance.now();
  until = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  const secs = (performance.now() - t0) / 1000;
  await Promise.all(children.map((c) => stop(c.proc)));
  return [
    { name: 'sessions.read.per_sec', value: Math.round(done / secs), unit: 'sessions/s', concurrency, meterProcesses: meters, failed, rowsPerSession: done ? rows / done : 0, security: 'HLS-GMAC + suite 0 authenticated-and-encrypted', framing: 'wrapper' },
  ];
}

async function heldConnections(target: number): Promise<BenchResult[]> {
  const directory = new MemoryDeviceDirectory();
  const cenc = new CencServer({ listeners: [{ protocol: 'tcp', port: 0, host: '127.0.0.1', framing: 'wrapper', projectId: 'bench' }], directory, identificationTimeoutMs: 120_000 });
  await cenc.start();
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const dialer = await child(['--dial', `127.0.0.1:${cenc.ports()[0]}`, '--count', String(target)]);
  const deadline = Date.now() + 120_000;
  while (cenc.connectionCount < dialer.first.open! && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const secs = (performance.now() - t0) / 1000;
  global.gc?.();
  const held = cenc.connectionCount;
  const rss = process.memoryUsage().rss;
  const perConnection = (rss - rss0) / Math.max(1, held);
  await stop(dialer.proc);
  await cenc.stop();
  return [
    { name: 'sessions.held.connections', value: held, unit: 'connections', target, fdLimitNote: 'ulimit -n caps one process (hard limit here 20000, not raisable in this container)', identifiedPerSec: Math.round(held / secs) },
    { name: 'sessions.held.rss_per_connection', value: Math.round(perConnection), unit: 'bytes' },
    { name: 'sessions.held.rss_at_100k_extrapolated', value: Math.round((rss0 + perConnection * 100_000) / 2 ** 20), unit: 'MiB', measuredRssMiB: Math.round(rss / 2 ** 20) },
  ];
}

export const benchmarks: Benchmark[] = [
  { name: 'sessions.read', run: () => readSessions(Number(process.env.HES_BENCH_SECONDS ?? 5), Number(process.env.HES_BENCH_CONCURRENCY ?? 64), Number(process.env.HES_BENCH_METERS ?? 1)) },
  { name: 'sessions.held', run: () => heldConnections(Number(process.env.HES_BENCH_HELD ?? 19_000)) },
];

// `node --import tsx bench/sessions.ts [PREFIX]` runs these alone, without the other suites
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/bench\//, '/bench/'))) {
  const prefix = process.argv[2] ?? '';
  for (const b of benchmarks.filter((x) => x.name.startsWith(prefix))) for (const r of await b.run()) process.stdout.write(JSON.stringify(r) + '\n');
}
