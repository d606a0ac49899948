/**
 * M-Bus bars (issue 19):
 *
 * - `mbus.decode`: wireless telegrams decoded per second on one core — security mode 5 (AES-128-CBC),
 *   10 data records each (volume, BCD volume of the billing date, the date, date-time, flow and return
 *   temperature, volume flow, energy, error flags, a plain counter), frame format A with CRC blocks:
 *   CRCs checked and removed, decrypted, 2F 2F checked, records decoded into the record table. Keys are
 *   expanded once per meter (as the pool keeps them); `keyBytes` measures a fresh key expansion per
 *   telegram for comparison. Plain (mode 0) and mode 7 (KDF + MAC per telegram) beside it.
 * - `mbus.ingest`: wireless telegrams per second from the gateway feed to rows in ClickHouse — gateway
 *   documents of 100 telegrams (as the simulated gateway sends them, mode 5, frame format A) taken by the
 *   intake (meters found in the registry's WMBUS comm lines) from 4 gateways at once, on the embedded bus,
 *   decoded by the pool's M-Bus decoder with the device contexts (profile mapping, meter keys) from
 *   PostgreSQL, inserted into chDB, status and error flags stored in the state archive (PostgreSQL). The HTTP
 *   layer is not in it; the clock stops when the last batch is stored whole. The first round (`cold`) loads the
 *   directory and every device context; later rounds come 15 minutes later on the contexts' clock, so they find
 *   every context expired (60 s) and revalidate it, as a fleet sending every 15 minutes does.
 *   Knobs (env): HES_BENCH_MBUS_METERS (default 2000), HES_BENCH_MBUS_ROUNDS (default 3).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark, BenchResult } from './harness.js';
import { measure } from './harness.js';
import { EmbeddedBus } from '../bus/embedded/index.js';
import { MbusFrameDecoder } from '../decoders/mbus/frame-decoder.js';
import { parseGatewayMessage, WmbusIntake, type GatewayMessage } from '../ingest/wmbus/intake.js';
import { SecretBox } from '../registry/crypto.js';
import { RegistryDeviceContexts } from '../registry/device-contexts.js';
import { createProject, saveChannel, sealSecurityKey } from '../registry/project-data.js';
import { openTestDb } from '../registry/testing.js';
import { UnknownMeters, WmbusDirectory } from '../registry/wmbus.js';
import { LocalSchemaStore } from '../schemas/registry/index.js';
import { PipelineSink } from '../scheduler/pipeline-sink.js';
import { offsetMinutes } from '../scheduler/schedule.js';
import { saveStateChanges } from '../scheduler/states.js';
import { GatewayFeed } from '../sim/mbus/gateway.js';
import { MbusFleet } from '../sim/mbus/meter.js';
import { ChdbEngine } from '../sinks/clickhouse/engine.js';
import { migrate } from '../sinks/clickhouse/migrate.js';
import { DecoderPool } from '../workers/pool.js';
import { Pipeline } from '../workers/pipeline.js';
import { AesKey } from '../decoders/mbus/aes.js';
import { encodeRecords, encodeWirelessTelegram, type RecordSpec } from '../decoders/mbus/encode.js';
import { MbusDecoder } from '../decoders/mbus/telegram.js';

const METERS = 1000;

function records(i: number): RecordSpec[] {
  const day = Date.UTC(2024, 4, 1 + (i % 28), 23, 45);
  return [
    { dataField: 0x04, vib: [0x13], value: 1_000_000 + i * 37 },
    { dataField: 0x0c, vib: [0x13], value: 990_000 + i * 31, storage: 1 },
    { dataField: 0x02, vib: [0x6c], value: Date.UTC(2024, 3, 30), storage: 1 },
    { dataField: 0x04, vib: [0x6d], value: day },
    { dataField: 0x02, vib: [0x5a], value: 400 + (i % 200) },
    { dataField: 0x02, vib: [0x5e], value: 300 + (i % 100) },
    { dataField: 0x03, vib: [0x3b], value: 1000 + i },
    { dataField: 0x04, vib: [0x06], value: 50_000 + i },
    { dataField: 0x02, vib: [0xfd, 0x17], value: i % 3 === 0 ? 4 : 0 },
    { dataField: 0x04, vib: [0x20], value: 86_400 * 365 + i },
  ];
}

interface Fleet {
  telegrams: Uint8Array[];
  keys: AesKey[];
  keyBytes: Uint8Array[];
}

function fleet(mode: 0 | 5 | 7): Fleet {
  const telegrams: Uint8Array[] = [];
  const keys: AesKey[] = [];
  const keyBytes: Uint8Array[] = [];
  for (let i = 0; i < METERS; i++) {
    const key = new Uint8Array(16);
    for (let k = 0; k < 16; k++) key[k] = (i * 131 + k * 17) & 0xff;
    const id = String(30_000_000 + i);
    telegrams.push(encodeWirelessTelegram({
      meter: { manufacturer: 'HES', id, version: 1, deviceType: 0x07 }, accessNumber: i & 0xff, mode, key, messageCounter: i + 1,
      records: encodeRecords(records(i)), frameFormat: 'A',
    }));
    keys.push(new AesKey(key));
    keyBytes.push(key);
  }
  return { telegrams, keys, keyBytes };
}

function suite(mode: 0 | 5 | 7, name: string): BenchResult[] {
  const f = fleet(mode);
  const d = new MbusDecoder();
  let i = 0;
  let sink = 0;
  const run = (useBytes: boolean) => () => {
    const k = i++ % METERS;
    const t = d.decode(f.telegrams[k]!, { key: useBytes ? f.keyBytes[k]! : f.keys[k]! });
    sink += t.records.count;
  };
  const r = measure(run(false), 2000, 500);
  if (sink % 10 !== 0) throw new Error('each telegram carries 10 records');
  const out: BenchResult[] = [
    {
      name: `mbus.decode.${name}.telegrams_per_s`, value: Math.round(r.opsPerSec), unit: 'telegrams/s', per_cpu_s: Math.round(r.opsPerCpuSec),
      bytes: f.telegrams[0]!.length, records: 10,
    },
    { name: `mbus.decode.${name}.records_per_s`, value: Math.round(r.opsPerSec * 10), unit: 'records/s', per_cpu_s: Math.round(r.opsPerCpuSec * 10) },
  ];
  if (mode === 5) {
    const fresh = measure(run(true), 1500, 300);
    out.push({ name: `mbus.decode.${name}.keyBytes.telegrams_per_s`, value: Math.round(fresh.opsPerSec), unit: 'telegrams/s', per_cpu_s: Math.round(fresh.opsPerCpuSec) });
  }
  return out;
}

/** Readings one telegram of each medium gives with the shipped profiles (what the clock waits for). */
function readingsPerTelegram(fleet: MbusFleet, t: number): (i: number) => number {
  const profile = (id: string) => ({ id, version: '1', body: JSON.parse(readFileSync(new URL(`../registry/profiles/${id}.json`, import.meta.url), 'utf8')) as Record<string, unknown> });
  const count = (i: number) => {
    const m = fleet.meter(i);
    return new MbusFrameDecoder().decode(
      { frameId: '', wire: Buffer.from(fleet.telegram(i, t)), framing: 'MBUS', direction: 'UPLINK', deviceId: 1, commLineId: null, connector: '', receivedAt: t, sessionId: null, context: null },
      { readings: { count: 0, textId: () => 0, add: () => undefined }, events: [], states: [], collectedAtSec: 0 },
      { num: 1, serial: m.id, projectId: '', profile: profile(m.medium === 'heat' ? 'MBUS_HEAT' : 'MBUS_WATER'), protocol: null, secrets: { MBUS_AES: Buffer.from(m.key).toString('hex') }, overrides: {} },
    );
  };
  const water = count(0);
  const heat = count(1);
  return (i) => (fleet.meter(i).medium === 'heat' ? heat : water);
}

async function ingest(): Promise<BenchResult[]> {
  const meters = Number(process.env.HES_BENCH_MBUS_METERS ?? 2000);
  const rounds = Number(process.env.HES_BENCH_MBUS_ROUNDS ?? 3);
  const dir = mkdtempSync(join(tmpdir(), 'hes-bench-mbus-'));
  const t = await openTestDb('postgres');
  const box = new SecretBox(randomBytes(32));
  const fleet = new MbusFleet({ meters });
  const closers: (() => Promise<unknown>)[] = [async () => t.drop(), async () => rmSync(dir, { recursive: true, force: true })];
  try {
    const projectId = String((await createProject(t.db, { name: 'ingest' }, null)).id);
    const channel = await saveChannel(t.db, projectId, null, { name: 'air', kind: 'WMBUS', settings: {} });
    const protocol = (await t.db.query<{ id: string }>(`INSERT INTO protocols (project_id, name, kind, settings) VALUES ($1, 'm-bus', 'MBUS', '{}') RETURNING id`, [projectId])).rows[0]!.id;
    const group = (await t.db.query<{ id: string }>('SELECT id FROM device_groups WHERE project_id = $1', [projectId])).rows[0]!.id;
    const all = Array.from({ length: meters }, (_, i) => fleet.meter(i));
    const devices = all.map(() => randomUUID());
    const keys = all.map(() => randomUUID());
    await t.db.query(`INSERT INTO devices (id, project_id, serial_number, type, group_id) SELECT d, $1, s, 'MBUS', $2 FROM unnest($3::uuid[], $4::text[]) AS x(d, s)`, [projectId, group, devices, all.map((m) => m.id)]);
    await t.db.query(
      `INSERT INTO comm_lines (project_id, device_id, channel_id, protocol_id, profile_id, address) SELECT $1, d, $2, $3, p, a FROM unnest($4::uuid[], $5::text[], $6::text[]) AS x(d, p, a)`,
      [projectId, channel.id, protocol, devices, all.map((m) => (m.medium === 'heat' ? 'MBUS_HEAT' : 'MBUS_WATER')), all.map((m) => `${m.id}-${m.manufacturer}`)],
    );
    await t.db.query(
      `INSERT INTO security_keys (id, project_id, device_id, kind, key_enc) SELECT k, $1, d, 'MBUS_AES', e FROM unnest($2::uuid[], $3::uuid[], $4::text[]) AS x(k, d, e)`,
      [projectId, keys, devices, all.map((m, i) => sealSecurityKey(box, keys[i]!, Buffer.from(m.key).toString('hex')))],
    );
    const engine = new ChdbEngine(join(dir, 'ch'));
    closers.unshift(() => engine.close());
    await migrate(engine);
    const store = new LocalSchemaStore(join(dir, 'schemas.json'));
    const bus = new EmbeddedBus({ dir: join(dir, 'bus'), fsync: 'interval' });
    closers.unshift(() => bus.close());
    const sink = await PipelineSink.create({ db: t.db, bus, schemas: store });
    const unknown = new UnknownMeters(t.db);
    closers.unshift(() => unknown.close());
    const intake = new WmbusIntake({ directory: new WmbusDirectory(t.db), unknown, publish: (f) => sink.publish(f), offsetMinutes, retentionDays: async () => 0 });
    const pool = new DecoderPool({});
    closers.unshift(() => pool.close());
    // As in `hes start`: the meters' status and error flags go to the state archive.
    let done = 0;
    // The contexts' clock moves with the rounds, 15 minutes apart as the meters send: each round finds them expired (60 s).
    let round = 0;
    const contexts = new RegistryDeviceContexts(t.db, box, { now: () => Date.now() + round * 900_000 });
    const pipeline = new Pipeline({
      bus, engine, schemas: store, pool, devices: contexts, states: (changes) => saveStateChanges(t.db, changes),
      afterStore: (batch) => void (done += batch.messages.length),
    });
    const running = pipeline.run();
    closers.unshift(async () => {
      await pipeline.stop();
      await running;
    });
    const start = Math.floor(Date.now() / 60_000) * 60_000 - rounds * 900_000;
    const perTelegram = readingsPerTelegram(fleet, start);
    const perRound = all.reduce((n, _, i) => n + perTelegram(i), 0);
    const gateways = 4;
    // Each round: the fleet heard once, 15 minutes after the last, in documents of 100 telegrams spread over the gateways.
    const documents: GatewayMessage[][] = Array.from({ length: rounds }, (_, r) => {
      const at = start + r * 900_000;
      const hex = new GatewayFeed({ fleet, projectId, gateway: 'gw', target: { kind: 'http', api: '', token: '' } }).telegrams(at);
      const out: GatewayMessage[] = [];
      for (let from = 0; from < hex.length; from += 100) {
        out.push(parseGatewayMessage({ gateway: `gw-${out.length % gateways}`, telegrams: hex.slice(from, from + 100).map((telegram) => ({ telegram, rssi: -70, time: new Date(at).toISOString() })) }, 'body'));
      }
      return out;
    });
    const stored = async () => (await pipeline.metrics.readingsOut.get()).values[0]?.value ?? 0;
    let telegrams = 0;
    const results: BenchResult[] = [];
    for (let r = 0; r < rounds; r++) {
      round = r;
      telegrams += meters;
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const lanes = Array.from({ length: gateways }, (_, g) => (async () => {
        for (const d of documents[r]!.filter((_, k) => k % gateways === g)) await intake.accept(projectId, d);
      })());
      await Promise.all(lanes);
      // Stored whole: readings inserted, states saved (the batch is then committed).
      while (done < telegrams) await new Promise((res) => setTimeout(res, 5));
      if ((await stored()) !== (r + 1) * perRound) throw new Error(`${await stored()} readings stored, expected ${(r + 1) * perRound}`);
      const secs = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const cpuSecs = (cpu.user + cpu.system) / 1e6;
      results.push({
        name: `mbus.ingest.${r === 0 ? 'cold.' : ''}telegrams_per_s`, value: Math.round(meters / secs), unit: 'telegrams/s', round: r + 1, telegrams: meters,
        readings: perRound, seconds: +secs.toFixed(3), threads: pool.threads, cpu_s: +cpuSecs.toFixed(2), cpu_ms_per_telegram: +((cpuSecs * 1000) / meters).toFixed(3),
        load1: +loadavg()[0]!.toFixed(2),
      });
    }
    const dead = (await pipeline.metrics.decodeErrors.get()).values.reduce((n, v) => n + v.value, 0);
    if (dead > 0) throw new Error(`${dead} telegrams were dead-lettered`);
    return results;
  } finally {
    for (const c of closers) await c();
  }
}

export const benchmarks: Benchmark[] = [
  { name: 'mbus.decode', run: () => [...suite(5, 'mode5'), ...suite(0, 'plain'), ...suite(7, 'mode7')] },
  { name: 'mbus.ingest', run: ingest },
];
