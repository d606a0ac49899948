/**
 * Issue 20's API bars, scaled down for the shared 2-core machine (knobs below; docs/analytics.md):
 * - api.meter-month: one meter's month of 15-minute data (4 registers, 11,520 readings) through the API
 *   (GET …/measurements, two pages of 10,000; and GET …/vee/readings, the values in force with validation),
 *   p50/p99 over random meters.
 * - api.daily-sum: one day's consumption summed over every meter of the project (GET …/analytics/consumption)
 *   and that day's collection completeness (GET …/analytics/completeness).
 * The data are generated through the pipeline (raw DLMS frames on the embedded log → decoder pool → chDB,
 * the rate reported as `generate`), registered devices bulk-inserted into the registry (PGlite) and
 * copied into devices_dim. The API runs in process (Fastify inject: no socket, the rest is the real path).
 *
 * Knobs (env): HES_BENCH_METERS (default 1000), HES_BENCH_DAYS (default 30), HES_BENCH_SAMPLES (default 40).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark, BenchResult } from './harness.js';
import { EmbeddedBus } from '../bus/embedded/index.js';
import { deviceKey, type BusMessage } from '../bus/types.js';
import { ChdbEngine } from '../sinks/clickhouse/engine.js';
import { migrate } from '../sinks/clickhouse/migrate.js';
import { DevicesDimension } from '../sinks/clickhouse/devices-dim.js';
import { AvroSerde, LocalSchemaStore } from '../schemas/registry/index.js';
import { Topics, type RawFrame } from '../schemas/avro/index.js';
import { DecoderPool } from '../workers/pool.js';
import { Pipeline } from '../workers/pipeline.js';
import { dayStart, loadProfileFrame, LOAD_PROFILE_CONTEXT, READINGS_PER_FRAME } from '../decoders/dlms/samples.js';
import { startHarness, type Harness } from '../api/test/harness.js';

const METERS = Number(process.env.HES_BENCH_METERS ?? 1000);
const DAYS = Number(process.env.HES_BENCH_DAYS ?? 30);
const SAMPLES = Number(process.env.HES_BENCH_SAMPLES ?? 40);

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const ms = (v: number) => +v.toFixed(1);

async function generate(dir: string, engine: ChdbEngine): Promise<BenchResult> {
  const store = new LocalSchemaStore(join(dir, 'schemas.json'));
  const serde = await AvroSerde.create<RawFrame>(store, Topics.rawFrames, 'raw-frame');
  const bus = new EmbeddedBus({ dir: join(dir, 'bus'), fsync: 'interval' });
  const pool = new DecoderPool({ threads: 2 });
  // the production archive name (the sample context says profile-15min)
  const context = { ...LOAD_PROFILE_CONTEXT, archive: 'profile-15' };
  const producer = await bus.producer();
  for (let day = DAYS; day >= 1; day--) {
    const messages: BusMessage[] = [];
    for (let d = 1; d <= METERS; d++) messages.push({ key: deviceKey(d), value: serde.encode({ ...loadProfileFrame(d, dayStart(day)), context }) });
    await producer.send(Topics.rawFrames, messages);
  }
  await producer.close();
  const total = METERS * DAYS * READINGS_PER_FRAME;
  const pipeline = new Pipeline({ bus, engine, schemas: store, pool });
  const t0 = performance.now();
  const running = pipeline.run();
  while (((await pipeline.metrics.readingsOut.get()).values[0]?.value ?? 0) < total) await new Promise((r) => setTimeout(r, 20));
  const secs = (performance.now() - t0) / 1000;
  await pipeline.stop();
  await running;
  await bus.close();
  await pool.close();
  return { name: 'api.generate.readings_per_s', value: Math.round(total / secs), unit: 'readings/s', readings: total, meters: METERS, days: DAYS, seconds: +secs.toFixed(1), load1: +loadavg()[0]!.toFixed(2) };
}

async function time(h: Harness, url: string): Promise<number> {
  const t0 = performance.now();
  const r = await h.call('Administrator', { method: 'GET', url });
  if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode} ${r.body.slice(0, 200)}`);
  return performance.now() - t0;
}

export const benchmarks: Benchmark[] = [
  {
    name: 'api.analytics',
    run: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hes-bench-analytics-'));
      const engine = new ChdbEngine(join(dir, 'ch'));
      let h: Harness | undefined;
      try {
        await migrate(engine);
        const out: BenchResult[] = [await generate(dir, engine)];
        h = await startHarness('pglite', { clickhouse: engine });
        // devices 1..METERS: the registry's numbers are its identity column, in insertion order
        await h.t.db.query(
          `INSERT INTO devices (project_id, group_id, serial_number, type)
           SELECT $1, (SELECT id FROM device_groups WHERE project_id = $1 AND is_default), lpad(i::text, 10, '0'), 'CE308' FROM generate_series(1, $2) AS i`,
          [h.projectId, METERS],
        );
        const ids = (await h.t.db.query<{ id: string; num: number }>('SELECT id, num::float8 AS num FROM devices WHERE project_id = $1 ORDER BY num', [h.projectId])).rows;
        if (Number(ids[0]!.num) !== 1 || Number(ids.at(-1)!.num) !== METERS) throw new Error('device numbers are not 1..METERS');
        await new DevicesDimension(h.t.db, engine).refresh();
        const [parts] = await engine.query<{ parts: number; rows: number; bytes: number }>("SELECT count() AS parts, sum(rows) AS rows, sum(bytes_on_disk) AS bytes FROM system.parts WHERE table = 'readings' AND active");
        const base = `/api/v1/projects/${h.projectId}`;
        const monthFrom = new Date(dayStart(DAYS)).toISOString();
        const monthTo = new Date(dayStart(0)).toISOString();

        const month: number[] = [];
        const vee: number[] = [];
        for (let i = 0; i < SAMPLES; i++) {
          const d = ids[Math.floor(Math.random() * ids.length)]!;
          const url = `${base}/devices/${d.id}/measurements?from=${monthFrom}&to=${monthTo}&limit=10000`;
          month.push((await time(h, url)) + (await time(h, `${url}&offset=10000`)));
          const v = `${base}/devices/${d.id}/vee/readings?from=${monthFrom}&to=${monthTo}&limit=10000`;
          vee.push((await time(h, v)) + (await time(h, `${v}&offset=10000`)));
        }
        month.sort((a, b) => a - b);
        vee.sort((a, b) => a - b);
        const rows = { table_rows: Number(parts!.rows), parts: Number(parts!.parts), bytes_per_reading: +(Number(parts!.bytes) / Number(parts!.rows)).toFixed(3), load1: +loadavg()[0]!.toFixed(2) };
        out.push({ name: 'api.meter-month.measurements.p99_ms', value: ms(pct(month, 99)), unit: 'ms', p50_ms: ms(pct(month, 50)), samples: SAMPLES, readings_per_request: DAYS * READINGS_PER_FRAME, ...rows });
        out.push({ name: 'api.meter-month.vee_readings.p99_ms', value: ms(pct(vee, 99)), unit: 'ms', p50_ms: ms(pct(vee, 50)), samples: SAMPLES, ...rows });

        const day = new Date(dayStart(2)).toISOString();
        const dayEnd = new Date(dayStart(1)).toISOString();
        const sums: number[] = [];
        const complete: number[] = [];
        for (let i = 0; i < 5; i++) {
          sums.push(await time(h, `${base}/analytics/consumption?from=${day}&to=${dayEnd}&archive=profile-15&obis=1.0.1.8.0.255&top=10`));
          complete.push(await time(h, `${base}/analytics/completeness?from=${day.slice(0, 10)}&to=${day.slice(0, 10)}&archive=profile-15`));
        }
        sums.sort((a, b) => a - b);
        complete.sort((a, b) => a - b);
        out.push({ name: 'api.daily-sum.consumption_ms', value: ms(pct(sums, 50)), unit: 'ms', max_ms: ms(sums.at(-1)!), meters: METERS, ...rows });
        out.push({ name: 'api.daily-sum.completeness_ms', value: ms(pct(complete, 50)), unit: 'ms', max_ms: ms(complete.at(-1)!), meters: METERS, ...rows });
        return out;
      } finally {
        await h?.close();
        await engine.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];
