/**
 * UNB bars (issue 18):
 *
 * - `unb.packets`: packets per second through the station service → bus → pool → ClickHouse (chDB). The
 *   simulated network (sim/unb: meters with their own XTEA keys, 3 stations, every packet heard by all 3) builds
 *   the stations' posts first (its CPU is reported apart); then the clock runs from the first post to the last
 *   reading stored. A post is taken as the HTTP route takes it — JSON text parsed, checked field by field
 *   (ingest/unb/message.ts), then the exchange (ingest/unb/service.ts: header, deduplication, MAC check with the
 *   device's uplink key, frames onto the bus) — without Fastify's own HTTP handling. The registry is PostgreSQL
 *   (127.0.0.1, a fresh database): devices, comm lines and keys as the API would store them; the pipeline's device
 *   contexts come from it (registry/device-contexts.ts), so the pool deciphers with the keys the registry opens.
 * - `unb.decode`: one decoder thread's share of a packet (the pool's `smp-m` decoder: MAC check, XTEA-CTR, the
 *   message, 3 readings) and the station service's MAC check alone, per CPU-second.
 *
 * Knobs (env): HES_BENCH_UNB_METERS (default 5,000), HES_BENCH_UNB_ROUNDS (default 2), HES_BENCH_THREADS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { measure, type Benchmark, type BenchResult } from './harness.js';
import { threadCpu } from './pipeline.js';
import { EmbeddedBus } from '../bus/embedded/index.js';
import { ChdbEngine } from '../sinks/clickhouse/engine.js';
import { migrate } from '../sinks/clickhouse/migrate.js';
import { LocalSchemaStore } from '../schemas/registry/index.js';
import type { RawFrame } from '../schemas/avro/index.js';
import { SmpmDecoder } from '../decoders/smp-m/decoder.js';
import { encodeMessage } from '../decoders/smp-m/messages.js';
import { macMatches, seal, SmpmKey } from '../decoders/smp-m/packet.js';
import type { DecodeOutput, DeviceContext, EventRow } from '../decoders/protocol-decoder.js';
import { ReadingsBlock } from '../workers/readings-block.js';
import { DecoderPool } from '../workers/pool.js';
import { Pipeline } from '../workers/pipeline.js';
import { PipelineSink } from '../scheduler/pipeline-sink.js';
import { openTestDb } from '../registry/testing.js';
import { SecretBox } from '../registry/crypto.js';
import { createProject, defaultGroupId, sealSecurityKey } from '../registry/project-data.js';
import { RegistryDeviceContexts } from '../registry/device-contexts.js';
import { UnbDirectory, UnbDownlinks, UnbStations, UnknownUnbDevices } from '../registry/unb.js';
import { UnbStationService } from '../ingest/unb/service.js';
import { parseStationMessage } from '../ingest/unb/message.js';
import { UnbNetworkSim } from '../sim/unb/stations.js';

const METERS = Number(process.env.HES_BENCH_UNB_METERS ?? 5_000);
/** Rounds measured; one more before them warms the service and the pool (directory, device contexts, JIT). */
const ROUNDS = Number(process.env.HES_BENCH_UNB_ROUNDS ?? 2);
const THREADS = process.env.HES_BENCH_THREADS ? Number(process.env.HES_BENCH_THREADS) : undefined;
const STATIONS = ['9121', '9122', '9123'];
const READINGS_PER_PACKET = 3;

async function packets(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'hes-bench-unb-'));
  const t = await openTestDb('postgres');
  const box = new SecretBox(Buffer.alloc(32, 9));
  const bus = new EmbeddedBus({ dir: join(dir, 'bus') });
  const engine = new ChdbEngine(join(dir, 'ch'));
  const pool = new DecoderPool({ threads: THREADS });
  try {
    // The registry: one project, a UNB channel, the meters with their keys (bulk, as an import would).
    const db = t.db;
    const projectId = String((await createProject(db, { name: 'bench' }, null)).id);
    const group = await defaultGroupId(db, projectId);
    const channel = (await db.query<{ id: string }>(`INSERT INTO channels (project_id, name, kind, settings) VALUES ($1, 'unb', 'UNB', '{}') RETURNING id`, [projectId])).rows[0]!.id;
    const protocol = (await db.query<{ id: string }>(`INSERT INTO protocols (project_id, name, kind, settings) VALUES ($1, 'smp-m', 'SMP_M', '{}') RETURNING id`, [projectId])).rows[0]!.id;
    const capture: { posts: string[][] } = { posts: STATIONS.map(() => []) };
    const sim = new UnbNetworkSim({
      meters: METERS, stations: STATIONS.map((identifier) => ({ identifier, token: 'bench' })), hes: 'http://bench', seed: 'bench', endOfDayEvery: 1_000_000,
      // The stations' posts are kept, not sent: the clock below runs over taking them.
      fetch: async (_url, init) => {
        const body = String(init!.body);
        capture.posts[STATIONS.indexOf((JSON.parse(body) as { stationId: string }).stationId)]!.push(body);
        return new Response(JSON.stringify({ tasks: [] }), { status: 200 });
      },
    });
    const serials = Array.from({ length: METERS }, (_, i) => String(sim.serial(i)));
    const devices = await db.query<{ id: string; serial_number: string }>(
      `INSERT INTO devices (project_id, serial_number, type, group_id) SELECT $1, s, 'CE207', $2 FROM unnest($3::text[]) AS s RETURNING id, serial_number`, [projectId, group, serials],
    );
    const ids = devices.rows.map((d) => d.id);
    await db.query(
      `INSERT INTO comm_lines (project_id, device_id, channel_id, protocol_id, profile_id) SELECT $1, d, $2, $3, 'DL_CE_207_SMP_M' FROM unnest($4::uuid[]) AS d`, [projectId, channel, protocol, ids],
    );
    const indexOf = new Map(serials.map((s, i) => [s, i]));
    const keyIds = devices.rows.map(() => randomUUID());
    await db.query(
      `INSERT INTO security_keys (id, project_id, device_id, kind, key_enc) SELECT k, $1, d, 'XTEA_UPLINK', e FROM unnest($2::uuid[], $3::uuid[], $4::text[]) AS u(k, d, e)`,
      [projectId, keyIds, ids, devices.rows.map((d, n) => sealSecurityKey(box, keyIds[n]!, sim.keys(indexOf.get(d.serial_number)!).uplink))],
    );
    for (const s of STATIONS) await new UnbStations(db).create({ identifier: s, tzOffsetMinutes: 180 });
    const stations = await Promise.all(STATIONS.map(async (identifier) => (await db.query<{ id: string }>('SELECT id FROM unb_base_stations WHERE identifier = $1', [identifier])).rows[0]!.id));

    // The simulator's rounds, captured as the stations' JSON posts.
    const sim0 = process.cpuUsage();
    const s0 = performance.now();
    const start = Date.UTC(2026, 11, 7, 12);
    await sim.round(start - 900_000);
    const warmPosts = capture.posts.map((p) => p.splice(0));
    const warmPackets = sim.stats.transmitted;
    for (let r = 0; r < ROUNDS; r++) await sim.round(start + r * 900_000);
    const simCpu = process.cpuUsage(sim0);
    const simSecs = (performance.now() - s0) / 1000;
    const packetsSent = sim.stats.transmitted - warmPackets;

    await migrate(engine);
    const schemas = new LocalSchemaStore(join(dir, 'schemas.json'));
    const sink = await PipelineSink.create({ db, bus, schemas });
    const directory = new UnbDirectory(db, box);
    const unknown = new UnknownUnbDevices(db);
    const service = new UnbStationService({
      stations: new UnbStations(db), directory, downlinks: new UnbDownlinks(db), unknown, publish: (f) => sink.publish(f), retentionDays: async () => 365, flushMs: 5_000,
    });
    const contexts = new RegistryDeviceContexts(db, box);
    const pipeline = new Pipeline({ bus, engine, schemas, pool, devices: contexts, states: async () => undefined });
    const running = pipeline.run();
    // The warm-up round: the directory and the device contexts loaded, the code paths compiled (not measured).
    const take = (posts: string[][]) => Promise.all(STATIONS.map(async (_, s) => {
      for (const body of posts[s]!) await service.exchange({ id: stations[s]!, identifier: STATIONS[s]!, tzOffsetMinutes: 180 }, parseStationMessage(JSON.parse(body), 180));
    }));
    await take(warmPosts);
    const stored0 = async () => (await pipeline.metrics.readingsOut.get()).values[0]?.value ?? 0;
    while ((await stored0()) < warmPackets * READINGS_PER_PACKET) await new Promise((r) => setTimeout(r, 5));

    const total = (warmPackets + packetsSent) * READINGS_PER_PACKET;
    const c0 = process.cpuUsage();
    const threads0 = threadCpu();
    const w0 = performance.now();
    // The stations post at once, each its posts in order.
    await take(capture.posts);
    const serviceSecs = (performance.now() - w0) / 1000;
    let stored = 0;
    while (stored < total) {
      await new Promise((r) => setTimeout(r, 5));
      stored = await stored0();
      const errors = (await pipeline.metrics.decodeErrors.get()).values.reduce((n, v) => n + v.value, 0);
      if (errors) throw new Error(`${errors} dead letters`);
    }
    const secs = (performance.now() - w0) / 1000;
    const cpu = process.cpuUsage(c0);
    const cpuSecs = (cpu.user + cpu.system) / 1e6;
    const byThread = threadCpu();
    for (const [k, v] of threads0) byThread.set(k, (byThread.get(k) ?? 0) - v);
    await pipeline.stop();
    await running;
    await service.close();
    await sink.close();
    const [{ n }] = (await engine.query<{ n: number }>('SELECT count() AS n FROM readings FINAL')) as [{ n: number }];
    return [{
      name: 'unb.packets.packets_per_s', value: Math.round(packetsSent / secs), unit: 'packets/s', packets: packetsSent, receptions: sim.stats.receptions, warm_up_packets: warmPackets,
      taken: service.totals, readings_stored: Number(n), seconds: +secs.toFixed(3), station_service_s: +serviceSecs.toFixed(3), threads: pool.threads,
      cpu_s: +cpuSecs.toFixed(2), cpu_ms_per_1000_packets: +((cpuSecs * 1e6) / packetsSent).toFixed(1), load1: +loadavg()[0]!.toFixed(2),
      cpu_s_by_thread: Object.fromEntries([...byThread].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, +v.toFixed(2)])),
      sim_packets_per_cpu_s: Math.round(packetsSent / ((simCpu.user + simCpu.system) / 1e6)), sim_s: +simSecs.toFixed(2),
    }];
  } finally {
    await pool.close();
    await bus.close();
    await engine.close();
    await t.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One decoder thread's share of a packet, and the station service's MAC check alone. */
function decodeOnly(): BenchResult[] {
  const n = 2000;
  const frames: RawFrame[] = [];
  const devices: DeviceContext[] = [];
  const keys: SmpmKey[] = [];
  const t = Date.UTC(2026, 11, 7, 12) / 1000;
  for (let i = 0; i < n; i++) {
    const hex = Buffer.alloc(16, i % 251).toString('hex');
    const key = SmpmKey.fromHex(hex);
    keys.push(key);
    const { type, payload } = encodeMessage({ type: 'current', time: t, total: 1_000_000 + i, tariffs: [600_000, 400_000 + i] });
    frames.push({
      frameId: `f${i}`, wire: Buffer.from(seal({ direction: 'uplink', serial: 195_000_000 + i, counter: 10, type }, payload, key)), framing: 'SMPM', direction: 'UPLINK',
      deviceId: i + 1, commLineId: null, connector: 'unb', receivedAt: t * 1000, sessionId: null, protocol: 'smp-m', meta: { serial: String(195_000_000 + i), counter: '10', lastCounter: '9' },
      context: { archive: 'current', retentionDays: 365, deviceTzMinutes: 180, source: 'PUSH', captureObjects: [], journal: null, eventCodes: null, protocolContext: null },
    });
    devices.push({ num: i + 1, serial: String(195_000_000 + i), projectId: 'bench', profile: null, protocol: null, secrets: { XTEA_UPLINK: hex }, overrides: {} });
  }
  const decoder = new SmpmDecoder();
  const block = new ReadingsBlock();
  const events: EventRow[] = [];
  const out: DecodeOutput = { readings: block, events, states: [], collectedAtSec: t };
  let i = 0;
  const r = measure(() => {
    const k = i++ % n;
    if (block.count >= 80_000) block.clear();
    out.states.length = 0;
    decoder.decode(frames[k]!, out, devices[k]!);
  }, 2000, 500);
  let j = 0;
  const m = measure(() => {
    const k = j++ % n;
    if (!macMatches(frames[k]!.wire, keys[k]!)) throw new Error('MAC');
  }, 1500, 300);
  return [
    { name: 'unb.decode.packets_per_cpu_s', value: Math.round(r.opsPerCpuSec), unit: 'packets/cpu-s', us_per_packet: +(1e6 / r.opsPerCpuSec).toFixed(2), bytes: frames[0]!.wire.length, readings: READINGS_PER_PACKET },
    { name: 'unb.decode.mac_checks_per_cpu_s', value: Math.round(m.opsPerCpuSec), unit: 'checks/cpu-s', us_per_check: +(1e6 / m.opsPerCpuSec).toFixed(2) },
  ];
}

export const benchmarks: Benchmark[] = [{ name: 'unb.packets', run: packets }, { name: 'unb.decode', run: decodeOnly }];
