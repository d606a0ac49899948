/**
 * Push bar (issue 16): ciphered 15-minute DataNotifications of simulated IDIS meters (high-gmac:
 * general-glo-ciphering with each meter's keys, one row of four registers per push) through the connector's
 * encoding onto the bus (the raw-frame record CENC publishes: WRAPPER framing, no decoding context), then the
 * pipeline: bus → pool (device contexts with the profile's Push Setups and the meter's keys, deciphered and
 * decoded on the fast path) → chDB. The simulator builds the pushes first (its CPU is reported apart); the
 * clock of `pushes_per_s` runs from the first bus append to the last reading stored.
 *
 * The device contexts are in the source's cache (the steady state of a fleet that pushes every 15 minutes
 * with the registry's 60 s cache is one registry query per batch for the devices whose entry expired).
 *
 * `pipeline.push-decode`: one decoder thread's share of a push, deciphered and decoded (and the same push
 * plain), without bus or Avro. `pipeline.push-pool`: the pool's share (one thread, tasks of 2,600 Avro records).
 *
 * Knobs (env): HES_BENCH_PUSH_METERS (default 20,000), HES_BENCH_PUSH_ROUNDS (15-minute rounds, default 2),
 * HES_BENCH_THREADS (decoder threads).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { measure, type Benchmark, type BenchResult } from './harness.js';
import { EmbeddedBus } from '../bus/embedded/index.js';
import { deviceKey, type BusMessage } from '../bus/types.js';
import { ChdbEngine } from '../sinks/clickhouse/engine.js';
import { migrate } from '../sinks/clickhouse/migrate.js';
import { AvroSerde, LocalSchemaStore } from '../schemas/registry/index.js';
import { Topics, type RawFrame } from '../schemas/avro/index.js';
import type { DeviceContext } from '../decoders/protocol-decoder.js';
import { loadProfiles } from '../registry/profiles.js';
import { DEFAULT_FLEET, Fleet } from '../sim/fleet.js';
import { pushApdu } from '../sim/push.js';
import { DlmsFrameDecoder } from '../decoders/dlms/frame-decoder.js';
import { ReadingsBlock } from '../workers/readings-block.js';
import { DecoderPool } from '../workers/pool.js';
import { Pipeline } from '../workers/pipeline.js';
import { fleetPushContexts, intervalPushFrame } from '../workers/testing.js';
import { threadCpu } from './pipeline.js';

const METERS = Number(process.env.HES_BENCH_PUSH_METERS ?? 20_000);
const ROUNDS = Number(process.env.HES_BENCH_PUSH_ROUNDS ?? 2);
const THREADS = process.env.HES_BENCH_THREADS ? Number(process.env.HES_BENCH_THREADS) : undefined;
const READINGS_PER_PUSH = 4;
const QUARTER = 900_000;

async function pushes(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'hes-bench-push-'));
  const start = Math.floor(Date.now() / QUARTER) * QUARTER - ROUNDS * QUARTER;
  let clock = start;
  const fleet = new Fleet({ ...DEFAULT_FLEET, profile: 'idis', meters: METERS, security: 'high-gmac' }, () => clock);
  const devices = fleetPushContexts(fleet, METERS);
  const contexts = devices.contexts;

  // The simulator: each meter's interval push of every round (its newest 15-minute row), ciphered.
  const sim0 = process.cpuUsage();
  const t0 = performance.now();
  const apdus: RawFrame[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    for (let i = 0; i < METERS; i++) {
      clock = start + r * QUARTER + 1000;
      apdus.push(intervalPushFrame(fleet, i, clock));
    }
  }
  const simCpu = process.cpuUsage(sim0);
  const simSecs = (performance.now() - t0) / 1000;

  const bus = new EmbeddedBus({ dir: join(dir, 'bus') });
  const engine = new ChdbEngine(join(dir, 'ch'));
  const pool = new DecoderPool({ threads: THREADS });
  try {
    await migrate(engine);
    const store = new LocalSchemaStore(join(dir, 'schemas.json'));
    const serde = await AvroSerde.create<RawFrame>(store, Topics.rawFrames, 'raw-frame');
    // Warm-up: the decoder threads load, compile the push's layout and JIT the path (not measured).
    const warm = apdus.slice(0, 2000).map((p) => serde.encode(p));
    const schemas = { [serde.id]: await store.schema(serde.id) };
    const warmContexts = new Map([...contexts].slice(0, 2000));
    for (let round = 0; round < 3; round++) await pool.decode(warm, schemas, 0, { contexts: warmContexts });

    const pipeline = new Pipeline({ bus, engine, schemas: store, pool, devices, states: async () => undefined });
    const running = pipeline.run();
    const total = apdus.length * READINGS_PER_PUSH;
    const c0 = process.cpuUsage();
    const threads0 = threadCpu();
    const w0 = performance.now();
    // The connector: each push as CENC publishes it (Avro raw-frame record keyed by device), appended in sends of 2,000.
    const producer = await bus.producer();
    for (let i = 0; i < apdus.length; i += 2000) {
      const batch: BusMessage[] = apdus.slice(i, i + 2000).map((p) => ({ key: deviceKey(p.deviceId!), value: serde.encode(p), timestamp: p.receivedAt }));
      await producer.send(Topics.rawFrames, batch);
    }
    const connectorSecs = (performance.now() - w0) / 1000;
    let stored = 0;
    while (stored < total) {
      await new Promise((r) => setTimeout(r, 5));
      stored = (await pipeline.metrics.readingsOut.get()).values[0]?.value ?? 0;
    }
    const secs = (performance.now() - w0) / 1000;
    const cpu = process.cpuUsage(c0);
    const cpuSecs = (cpu.user + cpu.system) / 1e6;
    const byThread = threadCpu();
    for (const [k, v] of threads0) byThread.set(k, (byThread.get(k) ?? 0) - v);
    const errors = (await pipeline.metrics.decodeErrors.get()).values.reduce((n, v) => n + v.value, 0);
    await pipeline.stop();
    await running;
    await producer.close();
    const [{ n }] = (await engine.query<{ n: number }>('SELECT count() AS n FROM readings FINAL')) as [{ n: number }];
    return [{
      name: 'pipeline.push.pushes_per_s', value: Math.round(apdus.length / secs), unit: 'pushes/s', pushes: apdus.length, readings_per_s: Math.round(total / secs),
      stored: Number(n), dead_letters: errors, seconds: +secs.toFixed(3), connector_s: +connectorSecs.toFixed(3), threads: pool.threads,
      // CPU of the HES process (connector encoding, bus, pool, chDB) while the clock ran: cores / this bounds the rate
      cpu_s: +cpuSecs.toFixed(2), cpu_ms_per_1000_pushes: +((cpuSecs * 1e6) / apdus.length).toFixed(1), load1: +loadavg()[0]!.toFixed(2),
      cpu_s_by_thread: Object.fromEntries([...byThread].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, +v.toFixed(2)])),
      sim_pushes_per_cpu_s: Math.round(apdus.length / ((simCpu.user + simCpu.system) / 1e6)), sim_s: +simSecs.toFixed(2),
    }];
  } finally {
    await pool.close();
    await bus.close();
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One decoder thread's share: a ciphered push deciphered and decoded, and the same push plain (no bus, no Avro). */
function decodeOnly(): BenchResult[] {
  const n = 4000;
  const at = Math.floor(Date.now() / QUARTER) * QUARTER - QUARTER + 1000;
  const profile = loadProfiles().find((p) => p.id === 'DL_IDIS')!;
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const out: BenchResult[] = [];
  for (const security of ['high-gmac', 'none'] as const) {
    const fleet = new Fleet({ ...DEFAULT_FLEET, profile: 'idis', meters: n, security }, () => at);
    const frames: RawFrame[] = [];
    const contexts: DeviceContext[] = [];
    for (let i = 0; i < n; i++) {
      const k = fleet.keys(i);
      frames.push({
        frameId: 'f', wire: Buffer.from(pushApdu(fleet, { index: i, timeMs: at, setup: '0.2.25.9.0.255' }).apdu), framing: 'APDU', direction: 'UPLINK', deviceId: i + 1,
        commLineId: null, connector: 'cenc', receivedAt: at, sessionId: null, context: null, protocol: 'dlms', meta: {},
      });
      contexts.push({
        num: i + 1, serial: k.serial, projectId: 'bench', profile: { id: 'DL_IDIS', version: '1', body: { ...profile } }, protocol: null,
        secrets: { encryptionKey: hex(k.blockCipherKey), authenticationKey: hex(k.authenticationKey) }, overrides: {},
      });
    }
    const decoder = new DlmsFrameDecoder();
    const block = new ReadingsBlock(n * READINGS_PER_PUSH);
    let i = 0;
    const r = measure(() => {
      if (i === n) {
        block.clear();
        i = 0;
      }
      decoder.decode(frames[i]!, { readings: block, events: [], states: [], collectedAtSec: 1 }, contexts[i]!);
      i++;
    });
    out.push({ name: `pipeline.push-decode.${security === 'none' ? 'plain' : 'ciphered'}_pushes_per_cpu_s`, value: Math.round(r.opsPerCpuSec), unit: 'pushes/cpu-s', us_per_push: +(1e6 / r.opsPerCpuSec).toFixed(2) });
  }
  return out;
}

/**
 * The pool's share of a push: one decoder thread, a task of 2,600 ciphered pushes (Avro raw-frame records) with
 * their device contexts at hand, in steady state (the contexts already in the thread); process CPU per push, so the
 * main thread's task packing is in it.
 */
async function poolOnly(): Promise<BenchResult[]> {
  const n = 2600;
  const at = Math.floor(Date.now() / QUARTER) * QUARTER - QUARTER + 1000;
  const fleet = new Fleet({ ...DEFAULT_FLEET, profile: 'idis', meters: n, security: 'high-gmac' }, () => at);
  const { contexts } = fleetPushContexts(fleet, n);
  const dir = mkdtempSync(join(tmpdir(), 'hes-bench-push-pool-'));
  const pool = new DecoderPool({ threads: 1 });
  try {
    const store = new LocalSchemaStore(join(dir, 'schemas.json'));
    const serde = await AvroSerde.create<RawFrame>(store, Topics.rawFrames, 'raw-frame');
    const values = Array.from({ length: n }, (_, i) => serde.encode(intervalPushFrame(fleet, i, at)));
    const schemas = { [serde.id]: await store.schema(serde.id) };
    for (let i = 0; i < 10; i++) await pool.decode(values, schemas, 1, { contexts });
    const perPush: number[] = [];
    for (let round = 0; round < 3; round++) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < 20; i++) {
        const r = await pool.decode(values, schemas, 1, { contexts });
        if (r.readings !== n * READINGS_PER_PUSH) throw new Error(`${r.readings} readings, ${r.failures.length} failures`);
      }
      const c = process.cpuUsage(c0);
      perPush.push((c.user + c.system) / (20 * n));
    }
    const best = Math.min(...perPush);
    return [{ name: 'pipeline.push-pool.cpu_us_per_push', value: +best.toFixed(1), unit: 'µs/push', rounds: perPush.map((v) => +v.toFixed(1)), load1: +loadavg()[0]!.toFixed(2) }];
  } finally {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benchmarks: Benchmark[] = [
  { name: 'pipeline.push', run: pushes }, { name: 'pipeline.push-decode', run: decodeOnly }, { name: 'pipeline.push-pool', run: poolOnly },
];
