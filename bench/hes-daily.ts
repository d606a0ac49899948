/**
 * `hes-daily` (issue 7 §9): the daily read of a simulated fleet through the whole HES. The simulator
 * (`hes sim`, CE308 meters behind one port, wrapper, HLS-GMAC with per-meter keys) and the HES
 * (`hes start`, embedded storage in a temp dir) run as separate processes, as in production. The fleet is
 * registered through the API's JSON configuration import (one DLMS protocol with its keys per meter, one TCP
 * channel per 100 meters as a gateway or concentrator would be); then one task reads every meter's
 * end-of-day registers and the day's 15-minute profile, and we measure the launch from "run" to finished:
 * wall time, sessions/s, readings/s, the HES process's CPU seconds — all threads, and the main thread alone
 * (scheduler, sessions, registry, API; the other threads are the data plane's decoders and ClickHouse) — and
 * peak RSS (/proc), and the readings stored (counted through the measurements API).
 *
 *   HES_BENCH_METERS=1000 npm run bench -- hes-daily      (default 10,000 meters)
 *   HES_BENCH_REGISTRY=postgres ...                       the registry on the PostgreSQL server (a fresh database) instead of PGlite
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { HesClient, poll, processStats, spawnHes, type HesProcess } from '../cli/hes-process.js';
import type { Benchmark, BenchResult } from './harness.js';
import { benchTelemetry } from './otlp-sink.js';

const HES_TITLE = '4845533030303031'; // "HES00001"
const METERS_PER_CHANNEL = 100;

interface Keys { serial: string; blockCipherKey: string; authenticationKey: string }
interface Launch { id: string; state: string; result: string; statistics: { total: number; success: number; error: number; partial: number } }

/** Starts `hes sim` with `meters` CE308 meters behind one port; resolves with the port once they are up. */
export async function startFleet(dir: string, meters: number): Promise<{ sim: HesProcess; port: number }> {
  const sim = spawnHes(['sim', '--meters', String(meters), '--port', '0', '--framing', 'wrapper', '--profile', 'ce308', '--security', 'high-gmac',
    '--state', join(dir, 'sim-state.json'), '--keys', join(dir, 'meters.json')]);
  try {
    const port = Number((await sim.waitFor(/ {2}\d+ {2}127\.0\.0\.1:(\d+)/, 120_000))[1]);
    await sim.waitFor(/all meters with their addresses and keys/, 120_000);
    return { sim, port };
  } catch (e) {
    await sim.stop();
    throw e;
  }
}

/**
 * Registers the fleet `startFleet` wrote into `dir` through the JSON configuration import, in a new project,
 * with the daily task (end-of-day registers and the day's 15-minute profile); returns the project path, the
 * task id and the seconds the import took.
 */
export async function registerFleet(api: HesClient, dir: string, simPort: number): Promise<{ p: string; taskId: string; registerSeconds: number }> {
  const project = await api.post<{ id: string }>('/projects', { name: 'Bench' });
  const p = `/projects/${project.id}`;
  const keys = JSON.parse(readFileSync(join(dir, 'meters.json'), 'utf8')) as Keys[];
  const channels = Array.from({ length: Math.ceil(keys.length / METERS_PER_CHANNEL) }, (_, c) => ({
    Id: uuidOf(1, c), Name: `Gateway ${c + 1}`, Type: 'CHAN_TYPE_TCP', IsExclusive: false,
    Settings: JSON.stringify({ CHAN_TYPE_TCP_OP_IP_ADDRESS: '127.0.0.1', CHAN_TYPE_TCP_OP_IP_PORT: String(simPort) }),
  }));
  const protocols = keys.map((k, i) => ({
    Id: uuidOf(2, i), Name: `DLMS ${k.serial}`, Type: 'PROTO_DLMS',
    Settings: JSON.stringify({
      DLMS_AUTHENTICATION: 'High', DLMS_CLIENT_ADDRESS: '48', DLMS_SERVER_ADDRESS_LENGTH: '0', DLMS_WAIT_TIME: '00:00:10', DLMS_RESEND_COUNT: '1',
      DLMS_MAX_PDU_RX: '1024', DLMS_SYSTEM_TITLE: HES_TITLE, DLMS_ENCRYPTION_KEY: k.blockCipherKey, DLMS_AUTHENTICATION_KEY: k.authenticationKey,
    }),
  }));
  const devices = keys.map((k, i) => ({
    SerialNumber: k.serial, Type: 'DT_CE308', Status: 'DS_INUSE', Enabled: true,
    CommLines: [{
      ChannelId: uuidOf(1, Math.floor(i / METERS_PER_CHANNEL)), ProtocolId: uuidOf(2, i), DeviceLib: 'DL_CE_308', ProtocolMap: 'PROTO_MAP_SPODES_CE308_V12',
      Enabled: true, Address: String(256 + i), Priority: 10, Attempts: 2,
    }],
  }));
  const t0 = performance.now();
  await api.post(`${p}/config`, { Meta: { AppName: 'hes-bench', SchemaVersion: 'v1' }, Channels: channels, Protocols: protocols, Groups: [{ Name: null, Devices: devices }] });
  const registerSeconds = (performance.now() - t0) / 1000;
  const group = (await api.get<{ items: { id: string }[] }>(`${p}/groups?isDefault=true`)).items[0]!.id;
  const task = await api.post<{ id: string }>(`${p}/tasks`, {
    name: 'Daily read', groupIds: [group], priority: 500, retries: 1, retryDelaySeconds: 5,
    content: { measurements: [{ archive: 'end-of-day', depth: { count: 1, unit: 'days' } }, { archive: 'profile-15', depth: { count: 1, unit: 'days' } }] },
  });
  return { p, taskId: task.id, registerSeconds };
}

/** A fresh database on the test PostgreSQL server (HES_TEST_PG_URL or the local one), dropped by `drop`. */
export async function freshDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const server = process.env.HES_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: server });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function dailyRead(meters: number): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'hes-daily-'));
  const database = process.env.HES_BENCH_REGISTRY === 'postgres' ? await freshDatabase('hes_bench_daily') : undefined;
  const { sim, port: simPort } = await startFleet(dir, meters);
  const otlp = await benchTelemetry();
  const hes = spawnHes(['start', '--data-dir', join(dir, 'hes'), '--http-port', '0', '--http-host', '127.0.0.1'], { ...(database ? { HES_DATABASE_URL: database.url } : {}), ...otlp?.env });
  try {
    const api = new HesClient(`${(await hes.waitFor(/HES API listening on (http:\/\/127\.0\.0\.1:\d+)/, 120_000))[1]}/api/v1`);
    await api.signIn('admin', 'hesadmin', 'Bench-pass1');
    const { p, taskId, registerSeconds } = await registerFleet(api, dir, simPort);
    const task = { id: taskId };
    const cpu0 = processStats(hes.pid).cpuSeconds;
    const main0 = mainThreadCpuSeconds(hes.pid);
    const t1 = performance.now();
    const run = await api.post<{ id: string }>(`${p}/tasks/${task.id}/run`);
    const launch = await poll(() => api.get<Launch>(`${p}/launches/${run.id}`), (l) => l.state === 'finished', 6 * 3_600_000, 1000, 'the daily read');
    const wall = (performance.now() - t1) / 1000;
    const stats = processStats(hes.pid);
    const mainCpu = mainThreadCpuSeconds(hes.pid) - main0;

    // The pipeline stores asynchronously: count until two counts a few seconds apart agree.
    let stored = await countReadings(api, p);
    for (let again = -1; again !== stored; ) {
      if (again >= 0) stored = again;
      await new Promise((r) => setTimeout(r, 3000));
      again = await countReadings(api, p);
    }
    const sessions = launch.statistics.success + launch.statistics.partial;
    const common = {
      meters, registry: database ? 'postgres' : 'pglite', result: launch.result, success: launch.statistics.success, error: launch.statistics.error,
      telemetry: otlp ? { exports: otlp.received.requests, bytes: otlp.received.bytes } : 'off',
    };
    return [
      { name: 'hes-daily.register', value: registerSeconds, unit: 's', ...common },
      { name: 'hes-daily.wall', value: wall, unit: 's', ...common },
      { name: 'hes-daily.sessions', value: sessions / wall, unit: 'sessions/s', ...common },
      { name: 'hes-daily.readings', value: stored / wall, unit: 'readings/s', stored, ...common },
      { name: 'hes-daily.cpu', value: stats.cpuSeconds - cpu0, unit: 'cpu-s', cpuPerSession: (stats.cpuSeconds - cpu0) / Math.max(1, sessions), ...common },
      { name: 'hes-daily.cpuMain', value: mainCpu, unit: 'cpu-s', cpuPerSession: mainCpu / Math.max(1, sessions), ...common },
      { name: 'hes-daily.peakRss', value: stats.peakRssBytes / 2 ** 20, unit: 'MiB', ...common },
    ];
  } catch (e) {
    process.stderr.write(`hes-daily failed; HES output:\n${hes.output.slice(-4000)}\nsimulator output:\n${sim.output.slice(-2000)}\n`);
    throw e;
  } finally {
    await hes.stop();
    await sim.stop();
    await otlp?.close();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU seconds of the process's main thread (its task with the process id; USER_HZ 100 as in processStats). */
export function mainThreadCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A stable UUID for the i-th entry of a kind in the configuration file (comm lines refer to them). */
function uuidOf(kind: number, i: number): string {
  return `00000000-0000-4000-8${kind.toString(16).padStart(3, '0')}-${i.toString(16).padStart(12, '0')}`;
}

/** Readings stored for the project's devices: the measurements API's total per device, a few requests at a time. */
async function countReadings(api: HesClient, p: string): Promise<number> {
  const ids: string[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await api.get<{ items: { id: string }[]; hasMore: boolean }>(`${p}/devices?limit=1000&offset=${offset}`);
    ids.push(...page.items.map((d) => d.id));
    if (!page.hasMore) break;
  }
  let total = 0;
  const worker = async () => {
    for (let id = ids.pop(); id; id = ids.pop()) {
      const n = (await api.get<{ total: number }>(`${p}/devices/${id}/measurements?limit=1`)).total;
      total += n; // not `total += await …`: that reads `total` before the await and loses the other workers' counts
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return total;
}

export const benchmarks: Benchmark[] = [
  { name: 'hes-daily', run: () => dailyRead(Number(process.env.HES_BENCH_METERS ?? 10_000)) },
];
