/**
 * Registry benchmarks (issue 6): XLSX import of 100,000 devices (time, peak memory) and device list
 * latency (p50/p99 through the API, filter + sort) over 1,000,000 devices. Both run on embedded PGlite
 * and, when the test server of registry/testing.ts answers, on PostgreSQL (HES_BENCH_ENGINES=pglite
 * to skip it).
 */
import { PassThrough } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import ExcelJS from 'exceljs';
import type { Benchmark, BenchResult } from './harness.js';
import { ENGINES, openTestDb, type Engine, type TestDb } from '../registry/testing.js';
import { SecretBox, hashPassword } from '../registry/crypto.js';
import { createProject } from '../registry/project-data.js';
import { COLUMNS, importDevices } from '../registry/device-xlsx.js';
import { buildApp } from '../api/app.js';

const engines = (process.env.HES_BENCH_ENGINES?.split(',') ?? [...ENGINES]) as Engine[];
const box = new SecretBox(Buffer.alloc(32, 7));
const MB = 1024 * 1024;

async function open(engine: Engine): Promise<TestDb | undefined> {
  try {
    return await openTestDb(engine);
  } catch (e) {
    process.stderr.write(`registry bench: ${engine} unavailable (${(e as Error).message}); skipped\n`);
    return undefined;
  }
}

/** 100 channels, 100 protocols and 20 groups shared by n devices, written with exceljs' streaming writer. */
async function deviceWorkbook(n: number): Promise<Buffer> {
  const out = new PassThrough();
  const bytes = buffer(out);
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: false });
  const ws = wb.addWorksheet('Devices');
  ws.addRow(COLUMNS.map((c) => c.ru)).commit();
  const types = ['CE207', 'CE307', 'CE208', 'CE308'];
  for (let i = 0; i < n; i++) {
    const c = i % 100;
    ws.addRow([`channel ${c}`, 'TCP', `10.0.${c}.1`, 4059, `protocol ${c}`, 'DLMS', 16 + c, '1234567812345678', 35, `group ${i % 20}`, types[i % 4], String(10_000_000 + i)]).commit();
  }
  ws.commit();
  await wb.commit();
  return bytes;
}

/** Peak resident set and heap above the starting point, sampled every 10 ms and at each call of `mark`. */
function memoryPeaks() {
  const base = process.memoryUsage();
  let rss = 0;
  let heap = 0;
  const mark = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss - base.rss);
    heap = Math.max(heap, m.heapUsed - base.heapUsed);
  };
  const timer = setInterval(mark, 10);
  return {
    mark,
    stop() {
      clearInterval(timer);
      mark();
      return { rssMB: Math.round(rss / MB), heapMB: Math.round(heap / MB), rssStartMB: Math.round(base.rss / MB) };
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** The list fixture: n devices in one project inserted by one generate_series statement (not the API). */
export async function fillDevices(t: TestDb, projectId: string, n: number): Promise<void> {
  await t.db.query(`INSERT INTO device_groups (project_id, name) SELECT $1, 'group ' || g FROM generate_series(1, 19) g`, [projectId]);
  await t.db.query(
    `WITH grp AS (SELECT array_agg(id ORDER BY name) AS ids FROM device_groups WHERE project_id = $1)
     INSERT INTO devices (project_id, serial_number, type, status, source, group_id, added_at)
     SELECT $1, lpad((g::bigint * 7919 % $2)::text, 10, '0'), (ARRAY['CE207','CE307','CE208','CE308'])[1 + g % 4],
            CASE WHEN g % 100 = 0 THEN 'STOCK' WHEN g % 200 = 1 THEN 'REMOVED' ELSE 'IN_USE' END, 'IMPORTED',
            grp.ids[1 + g % 20],
            timestamptz '2025-01-01' + make_interval(secs => g * 30)
     FROM generate_series(1, $2) g, grp`,
    [projectId, n],
  );
  await t.db.exec('ANALYZE devices');
}

export const benchmarks: Benchmark[] = [
  {
    name: 'registry.import',
    async run(): Promise<BenchResult[]> {
      const n = 100_000;
      const file = await deviceWorkbook(n);
      const out: BenchResult[] = [];
      for (const engine of engines) {
        const t = await open(engine);
        if (!t) continue;
        try {
          const projectId = String((await createProject(t.db, { name: 'bench' }, null)).id);
          const mem = memoryPeaks();
          const t0 = performance.now();
          const r = await importDevices(t.db, box, projectId, file, { update: false, onProgress: mem.mark });
          const secs = (performance.now() - t0) / 1000;
          const peak = mem.stop();
          if (!r.ok || r.created.devices !== n) throw new Error(`import failed: ${JSON.stringify(r.errors.slice(0, 3))}`);
          const extra = { engine, devices: n, fileMB: round(file.length / MB, 1) };
          out.push(
            { name: `registry.import.${engine}.time`, value: round(secs), unit: 's', ...extra },
            { name: `registry.import.${engine}.rate`, value: Math.round(n / secs), unit: 'devices/s', ...extra },
            { name: `registry.import.${engine}.peak_rss_delta`, value: peak.rssMB, unit: 'MB', rssStartMB: peak.rssStartMB, ...extra },
            { name: `registry.import.${engine}.peak_heap_delta`, value: peak.heapMB, unit: 'MB', ...extra },
          );
        } finally {
          await t.drop();
        }
      }
      return out;
    },
  },
  {
    name: 'registry.list',
    async run(): Promise<BenchResult[]> {
      const n = 1_000_000;
      const out: BenchResult[] = [];
      for (const engine of engines) {
        const t = await open(engine);
        if (!t) continue;
        const app = await buildApp({
          db: t.db, box, config: { accessTokenTtl: 900, refreshTokenTtl: 3600, loginMaxFailures: 5, loginLockSeconds: 60, logLevel: 'silent' },
        });
        try {
          const projectId = String((await createProject(t.db, { name: 'bench' }, null)).id);
          const t0 = performance.now();
          await fillDevices(t, projectId, n);
          out.push({ name: `registry.list.${engine}.fixture_insert`, value: round((performance.now() - t0) / 1000), unit: 's', engine, devices: n });
          const user = await t.db.query<{ id: string }>(
            `INSERT INTO users (username, role_id, password_hash) SELECT 'bench', id, $1 FROM roles WHERE name = 'Operator' RETURNING id`,
            [await hashPassword('Bench-pass1')],
          );
          await t.db.query('INSERT INTO project_members (project_id, user_id) VALUES ($1, $2)', [projectId, user.rows[0].id]);
          const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'bench', password: 'Bench-pass1' } });
          const headers = { authorization: `Bearer ${login.json().accessToken}` };
          const base = `/api/v1/projects/${projectId}/devices`;
          // What a console asks: first pages, a serial number prefix, a type and a status filter with sorts.
          const queries: Record<string, (i: number) => string> = {
            first_page: () => `${base}?limit=50`,
            serial_prefix: (i) => `${base}?serialNumber=0000${String(i % 1000).padStart(3, '0')}&sort=serialNumber&limit=50`,
            type_sorted_desc_offset: (i) => `${base}?type=CE208&sort=serialNumber&order=desc&limit=50&offset=${(i % 20) * 50}`,
            status_by_added_at: () => `${base}?status=STOCK&sort=addedAt&order=desc&limit=50`,
            group_by_added_at: () => `${base}?groupId=__GROUP__&sort=addedAt&limit=100`,
          };
          const group = (await t.db.query<{ id: string }>(`SELECT id FROM device_groups WHERE project_id = $1 AND name = 'group 7'`, [projectId])).rows[0].id;
          for (const [name, url] of Object.entries(queries)) {
            const times: number[] = [];
            // 200 measured requests, or fewer (at least 30) when they take more than 20 s in all.
            const t1 = performance.now();
            for (let i = 0; i < 220 && (i < 50 || performance.now() - t1 < 20_000); i++) {
              const s = performance.now();
              const r = await app.inject({ method: 'GET', url: url(i).replace('__GROUP__', group), headers });
              const ms = performance.now() - s;
              if (r.statusCode !== 200) throw new Error(`${name}: ${r.statusCode} ${r.body.slice(0, 200)}`);
              if (i >= 20) times.push(ms); // the first 20 warm caches and JIT
            }
            times.sort((a, b) => a - b);
            const extra = { engine, devices: n, requests: times.length, query: url(1).replace(base, 'devices').replace('__GROUP__', '{groupId}') };
            out.push(
              { name: `registry.list.${engine}.${name}.p50`, value: round(percentile(times, 50)), unit: 'ms', ...extra },
              { name: `registry.list.${engine}.${name}.p99`, value: round(percentile(times, 99)), unit: 'ms', ...extra },
            );
          }
        } finally {
          await app.close();
          await t.drop();
        }
      }
      return out;
    },
  },
];
