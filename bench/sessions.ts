/**
 * Session benchmarks (bench/RESULTS.md):
 *   sessions.read  complete read sessions per second against the fleet simulator (sim/, IDIS profile, 1,000
 *                  meters behind one port) in a child process on loopback: TCP connect, wrapper, AARQ with
 *                  HLS-GMAC + suite 0 (authenticated encryption), reply_to_HLS, GET clock, GET one day of
 *                  15-minute load profile by range (96 rows), RLRQ, close; each session to the next meter, with
 *                  its own keys. Also the CPU time per session of each side (robust when the machine is shared).
 *   sessions.held  meter-initiated connections held by one CENC node: connections identified and held, and
 *                  the RSS of the HES process per connection; the file-descriptor limit (`ulimit -n`) of this
 *                  machine caps the count, the RSS is extrapolated to 100,000 and labelled so.
 * The meters (or dialers) run in a child process, so the measured rate includes their CPU on the same 2 cores.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { createInterface, type Interface } from 'node:readline';
import type { ConnectionSettingsInit } from '../decoders/dlms/connection/index.js';
import { decodeCaptureObjects } from '../decoders/dlms/cosem/profile-generic.js';
import { parseObis } from '../decoders/dlms/obis.js';
import { decodeScalerUnit } from '../decoders/dlms/units.js';
import { MemoryDeviceDirectory } from '../ingest/cenc/directory.js';
import { CencServer } from '../ingest/cenc/server.js';
import { DlmsSession, type ProfileHints } from '../ingest/session/session.js';
import { simFleetConfig, simSettings } from '../ingest/testing/sim-meters.js';
import { connectTcp } from '../ingest/transport/socket.js';
import { Fleet } from '../sim/fleet.js';
import type { Benchmark, BenchResult } from './harness.js';

const script = new URL('../ingest/testing/meter-process.ts', import.meta.url).pathname;

interface Child {
  proc: ChildProcess;
  lines: Interface;
  first: Record<string, number>;
}

async function child(args: string[]): Promise<Child> {
  const flags = process.env.HES_BENCH_CHILD_FLAGS?.split(' ').filter(Boolean) ?? []; // e.g. "--cpu-prof" to profile the meters
  const proc = spawn(process.execPath, [...flags, '--import', 'tsx', script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! });
  const [line] = (await once(lines, 'line')) as [string];
  return { proc, lines, first: JSON.parse(line) as Record<string, number> };
}

/** CPU time the child has used so far (µs). */
async function childCpu(c: Child): Promise<number> {
  const answer = once(c.lines, 'line');
  c.proc.stdin!.write('cpu\n');
  const [line] = (await answer) as [string];
  return (JSON.parse(line) as { cpuUs: number }).cpuUs;
}

function stop(proc: ChildProcess): Promise<unknown> {
  proc.stdin!.end();
  return once(proc, 'exit');
}

const SIM_METERS = 1000;
const LOAD_PROFILE = '1.0.99.1.0.255';
const FLEET = simFleetConfig({ meters: SIM_METERS, profile: 'idis' });

/** What the device profile (driver) knows of the load profile: read once, so sessions do not read it again. */
async function profileHints(port: number, settings: ConnectionSettingsInit): Promise<ProfileHints> {
  const s = await DlmsSession.open(await connectTcp('127.0.0.1', port), settings);
  const ln = parseObis(LOAD_PROFILE);
  const captureObjects = decodeCaptureObjects(await s.get({ classId: 7, instanceId: ln, attributeId: 3 }));
  const scalerUnits = [];
  for (const c of captureObjects) scalerUnits.push(c.classId === 3 ? decodeScalerUnit(await s.get({ classId: 3, instanceId: c.logicalName, attributeId: 3 })) : null);
  await s.close();
  return { captureObjects, scalerUnits };
}

async function readSessions(seconds: number, concurrency: number, processes: number): Promise<BenchResult[]> {
  const children = await Promise.all(Array.from({ length: processes }, () => child(['--meters', String(SIM_METERS), '--profile', 'idis'])));
  const ports = children.map((c) => c.first.port!);
  const fleet = new Fleet(FLEET);
  // 2030-byte PDUs, as meters commonly limit them: the day of profile comes in two blocks
  const settings = Array.from({ length: SIM_METERS }, (_, i) => ({ ...simSettings(fleet, i, 'wrapper', 'high-gmac'), maxReceivePduSize: 2030 }));
  const hints = await profileHints(ports[0]!, settings[0]!);
  const yesterday = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000;
  const range = { fromMs: yesterday, toMs: yesterday + 86_400_000 - 900_000 };
  let done = 0;
  let failed = 0;
  let rows = 0;
  let next = 0;
  let lastError = '';
  const one = async (port: number): Promise<void> => {
    const s = await DlmsSession.open(await connectTcp('127.0.0.1', port), settings[next++ % SIM_METERS]!, { waitTimeMs: 5000 });
    await s.readClock();
    const profile = await s.readProfile(LOAD_PROFILE, range, hints);
    rows += profile.rows.length;
    await s.close();
  };
  let until = 0;
  const worker = async (i: number): Promise<void> => {
    while (Date.now() < until) {
      try {
        await one(ports[i % ports.length]!);
        done++;
      } catch (e) {
        failed++;
        lastError = (e as Error).message;
      }
    }
  };
  until = Date.now() + 1000; // warm-up
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  done = failed = rows = 0;
  const cpu0 = process.cpuUsage();
  const meterCpu0 = await Promise.all(children.map(childCpu));
  const t0 = performance.now();
  until = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const meterCpu = (await Promise.all(children.map(childCpu))).reduce((sum, us, i) => sum + us - meterCpu0[i]!, 0);
  await Promise.all(children.map((c) => stop(c.proc)));
  const perSession = (us: number): number => (done ? Math.round(us / done) : 0);
  return [
    {
      name: 'sessions.read.per_sec',
      value: Math.round(done / secs),
      unit: 'sessions/s',
      concurrency,
      meterProcesses: processes,
      meters: SIM_METERS,
      failed,
      ...(failed ? { lastError } : {}),
      rowsPerSession: done ? rows / done : 0,
      hesCpuUsPerSession: perSession(cpu.user + cpu.system),
      meterCpuUsPerSession: perSession(meterCpu),
      loadAverage: Number(loadavg()[0]!.toFixed(2)),
      security: 'HLS-GMAC + suite 0 authenticated-and-encrypted',
      framing: 'wrapper',
    },
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
