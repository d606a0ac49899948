/**
 * Session benchmarks (bench/RESULTS.md):
 *   sessions.read  complete read sessions per second against the fleet simulator (sim/, IDIS profile, 1,000
 *                  meters behind one port) in a child process on loopback: TCP connect, wrapper, AARQ with
 *                  HLS-GMAC + suite 0 (authenticated encryption), reply_to_HLS, GET clock, GET one day of
 *                  15-minute load profile by range (96 rows), RLRQ, close; each session to the next meter, with
 *                  its own keys. Also the CPU time per session of each side (robust when the machine is shared).
 *   sessions.held  meter-initiated TCP connections held by one CENC node: connections identified and held, and
 *                  the RSS one more held connection costs in the HES process; the open-file limit of the
 *                  process caps the count, the RSS is extrapolated to 100,000 and labelled so.
 *   sessions.held_udp  the same with meters on UDP (NB-IoT/LTE-M modems commonly are): 100,000 peers identified
 *                  and held by one node, RSS measured.
 * The meters (or dialers) run in child processes, so the measured rate includes their CPU on the same 2 cores.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createInterface, type Interface } from 'node:readline';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
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

// built (dist/bench/sessions.js) the child runs the built meter process; from source (tsx) the .ts one
const built = import.meta.url.endsWith('.js');
const script = new URL(`../ingest/testing/meter-process.${built ? 'js' : 'ts'}`, import.meta.url).pathname;

interface Child {
  proc: ChildProcess;
  lines: Interface;
  first: Record<string, number>;
}

async function child(args: string[]): Promise<Child> {
  const flags = process.env.HES_BENCH_CHILD_FLAGS?.split(' ').filter(Boolean) ?? []; // e.g. "--cpu-prof" to profile the meters
  const proc = spawn(process.execPath, [...flags, ...(built ? [] : ['--import', 'tsx']), script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! });
  const [line] = (await once(lines, 'line')) as [string];
  return { proc, lines, first: JSON.parse(line) as Record<string, number> };
}

/** CPU time the child has used so far (µs), and the kernel's part of it. */
async function childCpu(c: Child): Promise<{ cpuUs: number; systemUs: number }> {
  const answer = once(c.lines, 'line');
  c.proc.stdin!.write('cpu\n');
  const [line] = (await answer) as [string];
  return JSON.parse(line) as { cpuUs: number; systemUs: number };
}

function stop(proc: ChildProcess): Promise<unknown> {
  proc.stdin!.end();
  return once(proc, 'exit');
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

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
  const meterCpu1 = await Promise.all(children.map(childCpu));
  const meterCpu = meterCpu1.reduce((sum, u, i) => sum + u.cpuUs - meterCpu0[i]!.cpuUs, 0);
  const meterSystem = meterCpu1.reduce((sum, u, i) => sum + u.systemUs - meterCpu0[i]!.systemUs, 0);
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
      hesSystemUsPerSession: perSession(cpu.system),
      meterCpuUsPerSession: perSession(meterCpu),
      meterSystemUsPerSession: perSession(meterSystem),
      loadAverage: Number(loadavg()[0]!.toFixed(2)),
      security: 'HLS-GMAC + suite 0 authenticated-and-encrypted',
      framing: 'wrapper',
    },
  ];
}

/** The soft limit on open files of this process (Linux), which caps the connections one process holds. */
function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Memory after full collections (young-generation garbage is not per-connection memory). */
function settled(): NodeJS.MemoryUsage {
  gc();
  gc();
  return process.memoryUsage();
}

/**
 * Dials `target` meter-initiated connections from dialer processes (each has its own descriptor limit) and
 * measures RSS after each dialer: the slope between the middle and the end is the memory one more held
 * connection costs, free of what a first connection storm costs once (heap pages, young generation, code).
 * TCP: two dialers, the HES's own descriptor limit caps the count. UDP: as many dialers as needed, each from
 * its own loopback address; a UDP peer needs no descriptor in the HES.
 */
async function heldConnections(protocol: 'tcp' | 'udp', target: number): Promise<BenchResult[]> {
  const directory = new MemoryDeviceDirectory();
  const cenc = new CencServer({ listeners: [{ protocol, port: 0, host: '127.0.0.1', framing: 'wrapper', projectId: 'bench' }], directory, identificationTimeoutMs: 120_000 });
  await cenc.start();
  const m0 = settled();
  const t0 = performance.now();
  const perDialer = protocol === 'tcp' ? Math.ceil(target / 2) : Math.min(18_000, (openFileLimit() ?? 20_000) - 2000);
  const dialers: Child[] = [];
  const m: { held: number; usage: NodeJS.MemoryUsage }[] = [];
  for (let offset = 0; offset < target; offset += perDialer) {
    const count = Math.min(perDialer, target - offset);
    const dial = protocol === 'tcp' ? ['--dial'] : ['--bind', `127.0.0.${2 + dialers.length}`, '--dial-udp'];
    const d = await child([...dial, `127.0.0.1:${cenc.ports()[0]}`, '--count', String(count), '--offset', String(offset)]);
    dialers.push(d);
    const expected = dialers.reduce((n, x) => n + x.first.open!, 0);
    // until all are held, or nothing more arrives for 5 s (a UDP datagram the kernel dropped is not resent)
    let seen = -1;
    let stillSince = Date.now();
    while (cenc.connectionCount < expected && Date.now() - stillSince < 5000) {
      await new Promise((r) => setTimeout(r, 50));
      if (cenc.connectionCount !== seen) [seen, stillSince] = [cenc.connectionCount, Date.now()];
    }
    m.push({ held: cenc.connectionCount, usage: settled() });
  }
  const secs = (performance.now() - t0) / 1000;
  const held = cenc.connectionCount;
  const mid = m[Math.floor((m.length - 1) / 2)]!;
  const last = m.at(-1)!;
  const slope = (k: 'rss' | 'heapUsed'): number => (last.usage[k] - mid.usage[k]) / Math.max(1, last.held - mid.held);
  const marginal = slope('rss');
  const average = (last.usage.rss - m0.rss) / Math.max(1, held);
  await Promise.all(dialers.map((d) => stop(d.proc)));
  await cenc.stop();
  const limit = openFileLimit();
  const name = `sessions.held${protocol === 'udp' ? '_udp' : ''}`;
  return [
    {
      name: `${name}.connections`,
      value: held,
      unit: 'connections',
      target,
      protocol,
      dialers: dialers.length,
      dialed: dialers.reduce((n, x) => n + x.first.open!, 0),
      openFileLimit: limit ?? null,
      ...(protocol === 'tcp' ? { boundedBy: `one descriptor per connection in the HES process: RLIMIT_NOFILE ${limit ?? '?'} (ulimit -Hn; not raisable in this container)` } : {}),
      identifiedPerSec: Math.round(held / secs),
    },
    // the RSS slope moves with the heap's page steps; the JS heap used per connection is the steadier figure
    { name: `${name}.rss_per_connection`, value: Math.round(marginal), unit: 'bytes', measuredBetween: [mid.held, last.held], averageFromStart: Math.round(average), heapUsedPerConnection: Math.round(slope('heapUsed')) },
    held >= 100_000
      ? { name: `${name}.rss_at_100k`, value: Math.round(last.usage.rss / 2 ** 20), unit: 'MiB', measured: true }
      : { name: `${name}.rss_at_100k_extrapolated`, value: Math.round((last.usage.rss + marginal * (100_000 - held)) / 2 ** 20), unit: 'MiB', measuredRssMiB: Math.round(last.usage.rss / 2 ** 20) },
  ];
}

export const benchmarks: Benchmark[] = [
  { name: 'sessions.read', run: () => readSessions(Number(process.env.HES_BENCH_SECONDS ?? 5), Number(process.env.HES_BENCH_CONCURRENCY ?? 64), Number(process.env.HES_BENCH_METERS ?? 1)) },
  // as many as the descriptor limit allows, less room for the listener, pipes and the process's own files
  { name: 'sessions.held', run: () => heldConnections('tcp', Number(process.env.HES_BENCH_HELD ?? Math.max(1000, (openFileLimit() ?? 20_000) - 100))) },
  // UDP peers hold no descriptor in the HES: the full 100,000 on one node
  { name: 'sessions.held_udp', run: () => heldConnections('udp', Number(process.env.HES_BENCH_HELD_UDP ?? 100_000)) },
];

// `node --import tsx bench/sessions.ts [PREFIX]` runs these alone, without the other suites
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/bench\//, '/bench/'))) {
  const prefix = process.argv[2] ?? '';
  for (const b of benchmarks.filter((x) => x.name.startsWith(prefix))) for (const r of await b.run()) process.stdout.write(JSON.stringify(r) + '\n');
}
