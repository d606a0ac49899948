/**
 * `scaleout.daily` (issue 24): the daily read of a simulated fleet with one, then two scheduler processes on
 * one PostgreSQL database (a fresh one per run), on the same machine — so the ratio shows what sharing a
 * launch costs, not what more cores give. Process A runs the API and the scheduler role, process B (second
 * run) the scheduler role only; they split the launch device by device (claims with leases). The fleet and
 * the task are hes-daily's (end-of-day registers and the day's 15-minute profile, CE308 behind one port).
 * No pipeline role runs: the frames stay on each process's embedded bus, so the figures are the scheduler's
 * and the sessions' own. Reported: wall time, devices/s, the registry's transactions per device (PostgreSQL's
 * xact_commit for the database during the launch: a statement outside a transaction counts one), the CPU of
 * the HES processes per device, and how the devices were split.
 *
 *   HES_BENCH_METERS=1000 node dist/bench/run.js scaleout.daily      (default 1,000 meters)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { HesClient, poll, processStats, spawnHes, type HesProcess } from '../cli/hes-process.js';
import type { Benchmark, BenchResult } from './harness.js';
import { freshDatabase, registerFleet, startFleet } from './hes-daily.js';

interface Launch { id: string; state: string; result: string; statistics: { success: number; error: number; partial: number } }

async function dailyWith(schedulers: 1 | 2, meters: number): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'hes-scaleout-'));
  const database = await freshDatabase('hes_bench_scaleout');
  // One master key for both processes: the meters' keys one process stored, the other decrypts.
  const env = { HES_DATABASE_URL: database.url, HES_MASTER_KEY: randomBytes(32).toString('hex'), HES_GAP_ROUNDS_PER_DAY: '0', HES_WIRE_FRAMES: 'off', HES_CLICKHOUSE_DEVICES_REFRESH_SECONDS: '0' };
  const { sim, port } = await startFleet(dir, meters);
  const hes: HesProcess[] = [];
  const stats = new pg.Client({ connectionString: database.url });
  try {
    hes.push(spawnHes(['start', '--roles', 'api,scheduler', '--data-dir', join(dir, 'a'), '--http-port', '0', '--http-host', '127.0.0.1'], env));
    const api = new HesClient(`${(await hes[0]!.waitFor(/HES API listening on (http:\/\/127\.0\.0\.1:\d+)/, 120_000))[1]}/api/v1`);
    if (schedulers === 2) {
      hes.push(spawnHes(['start', '--roles', 'scheduler', '--data-dir', join(dir, 'b'), '--http-port', '0', '--http-host', '127.0.0.1'], env));
      await hes[1]!.waitFor(/roles: scheduler /, 120_000);
    }
    await api.signIn('admin', 'hesadmin', 'Bench-pass1');
    const { p, taskId } = await registerFleet(api, dir, port);
    await stats.connect();
    const xacts = async () => {
      // The statistics reach pg_stat_database within a second of the transactions; a snapshot is taken fresh.
      await stats.query('SELECT pg_stat_clear_snapshot()');
      return Number((await stats.query<{ n: string }>('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()')).rows[0]!.n);
    };
    await new Promise((r) => setTimeout(r, 1500));
    const x0 = await xacts();
    const cpu0 = hes.reduce((a, h) => a + processStats(h.pid).cpuSeconds, 0);
    const t0 = performance.now();
    const run = await api.post<{ id: string }>(`${p}/tasks/${taskId}/run`);
    const launch = await poll(() => api.get<Launch>(`${p}/launches/${run.id}`), (l) => l.state === 'finished', 3_600_000, 500, 'the daily read');
    const wall = (performance.now() - t0) / 1000;
    const cpu = hes.reduce((a, h) => a + processStats(h.pid).cpuSeconds, 0) - cpu0;
    await new Promise((r) => setTimeout(r, 1500));
    const transactions = await xacts() - x0;
    const split = (await stats.query<{ by: string; n: number }>(
      `SELECT coalesce(claimed_by, '-') AS by, count(*)::int AS n FROM launch_devices WHERE launch_id = $1 GROUP BY 1 ORDER BY 2 DESC`, [run.id],
    )).rows.map((r) => r.n);
    const devices = launch.statistics.success + launch.statistics.partial;
    const common = { meters, schedulers, result: launch.result, success: launch.statistics.success, error: launch.statistics.error, split };
    return [
      { name: `scaleout.daily.${schedulers}.devicesPerSecond`, value: devices / wall, unit: 'devices/s', wall, ...common },
      { name: `scaleout.daily.${schedulers}.transactionsPerDevice`, value: transactions / Math.max(1, devices), unit: 'xact/device', transactions, ...common },
      { name: `scaleout.daily.${schedulers}.cpuPerDevice`, value: (cpu / Math.max(1, devices)) * 1000, unit: 'cpu-ms/device', ...common },
    ];
  } catch (e) {
    for (const h of hes) process.stderr.write(`scaleout.daily failed; HES output:\n${h.output.slice(-3000)}\n`);
    throw e;
  } finally {
    await stats.end().catch(() => undefined);
    for (const h of hes) await h.stop();
    await sim.stop();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benchmarks: Benchmark[] = [
  {
    name: 'scaleout.daily',
    run: async () => {
      const meters = Number(process.env.HES_BENCH_METERS ?? 1000);
      return [...await dailyWith(1, meters), ...await dailyWith(2, meters)];
    },
  },
];
