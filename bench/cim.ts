/**
 * `cim.meter-readings` (issue 21 bar): `get MeterReadings` of one day of 15-minute A+ data for 10,000
 * meters in one request, JSON and XML, through POST /api/v1/cim (PGlite registry, chDB readings store):
 * seconds to the full reply (read over a socket) and peak memory of the process above the start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark, BenchResult } from './harness.js';
import { openTestDb } from '../registry/testing.js';
import { SecretBox } from '../registry/crypto.js';
import { createApiToken } from '../registry/accounts.js';
import { createProject } from '../registry/project-data.js';
import { ChdbEngine } from '../sinks/clickhouse/engine.js';
import { migrate } from '../sinks/clickhouse/migrate.js';
import { buildApp } from '../api/app.js';

const METERS = Number(process.env.HES_BENCH_CIM_METERS ?? 10_000);
const DAY = Date.parse('2026-03-01T00:00:00Z') / 1000;
const A_PLUS_15 = '0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0';
const MB = 1024 * 1024;
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

export const benchmarks: Benchmark[] = [
  {
    name: 'cim.meter-readings',
    async run(): Promise<BenchResult[]> {
      const dir = mkdtempSync(join(tmpdir(), 'hes-bench-cim-'));
      const engine = new ChdbEngine(join(dir, 'ch'));
      const t = await openTestDb('pglite');
      const out: BenchResult[] = [];
      try {
        await migrate(engine);
        const projectId = String((await createProject(t.db, { name: 'bench' }, null)).id);
        await t.db.query(`INSERT INTO device_groups (project_id, name) VALUES ($1, 'g')`, [projectId]);
        await t.db.query(
          `INSERT INTO devices (project_id, serial_number, type, group_id)
           SELECT $1, lpad(g::text, 10, '0'), 'CE308', (SELECT id FROM device_groups WHERE project_id = $1 LIMIT 1) FROM generate_series(1, $2) g`,
          [projectId, METERS],
        );
        const devices = (await t.db.query<{ id: string; num: number }>('SELECT id::text AS id, num::float8 AS num FROM devices WHERE project_id = $1', [projectId])).rows;
        const user = await t.db.query<{ id: string }>(`INSERT INTO users (username, role_id, m2m) SELECT 'mdm', id, true FROM roles WHERE name = 'M2M' RETURNING id`);
        await t.db.query('INSERT INTO project_members (project_id, user_id) VALUES ($1, $2)', [projectId, user.rows[0]!.id]);
        const token = (await createApiToken(t.db, user.rows[0]!.id, 'bench')).token;
        // 96 intervals per meter, written by ClickHouse itself.
        await engine.exec(
          `INSERT INTO readings SELECT arrayJoin({nums:Array(UInt64)}) AS device_id, 'profile-15', '1.0.1.29.0.255', '', 0,
             toDateTime({day:UInt32} + 900 * i, 'UTC'), 100 + (device_id * 7 + i) % 300, 0, 'Wh', 3, 0, 0, 'POLL', toDateTime({day:UInt32} + 86400, 'UTC'), 0
           FROM (SELECT number AS i FROM numbers(96))`,
          { nums: devices.map((d) => d.num), day: DAY },
        );
        const app = await buildApp({
          db: t.db, box: new SecretBox(Buffer.alloc(32, 7)), clickhouse: engine,
          config: { accessTokenTtl: 900, refreshTokenTtl: 3600, loginMaxFailures: 5, loginLockSeconds: 60, logLevel: 'silent' },
        });
        const range = { start: new Date(DAY * 1000).toISOString(), end: new Date((DAY + 86400) * 1000).toISOString() };
        const bodies = {
          json: JSON.stringify({ RequestMessage: { Header: { Verb: 'get', Noun: 'MeterReadings' }, Request: { GetMeterReadings: {
            EndDevice: devices.map((d) => ({ mRID: d.id })), ReadingType: [{ ref: A_PLUS_15 }], TimeSchedule: { scheduleInterval: range },
          } } } }),
          xml: `<RequestMessage xmlns="http://iec.ch/TC57/2011/schema/message"><Header><Verb>get</Verb><Noun>MeterReadings</Noun></Header><Request><GetMeterReadings>` +
            devices.map((d) => `<EndDevice><mRID>${d.id}</mRID></EndDevice>`).join('') +
            `<ReadingType ref="${A_PLUS_15}"/><TimeSchedule><scheduleInterval><start>${range.start}</start><end>${range.end}</end></scheduleInterval></TimeSchedule></GetMeterReadings></Request></RequestMessage>`,
        };
        // Over a real socket, the reply read as a stream and counted, not kept (the client's memory is not the HES's).
        const url = await app.listen({ host: '127.0.0.1', port: 0 });
        const post = async (payload: string, type: string, marker: string) => {
          const res = await fetch(`${url}/api/v1/cim`, { method: 'POST', body: payload, headers: { authorization: `Bearer ${token}`, 'content-type': type } });
          let bytes = 0, count = 0, carry = '', head = '';
          const decoder = new TextDecoder();
          for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
            bytes += chunk.length;
            const text = carry + decoder.decode(chunk, { stream: true });
            if (head.length < 400) head += text.slice(0, 400);
            count += text.split(marker).length - 1;
            carry = text.slice(-(marker.length - 1));
            count -= carry.split(marker).length - 1;
          }
          return { status: res.status, bytes, count, head };
        };
        // Warm-up (first token check, first store query, route compilation): one meter.
        await post(JSON.stringify({ RequestMessage: { Header: { Verb: 'get', Noun: 'MeterReadings' }, Request: { EndDevice: { mRID: devices[0]!.id }, StartTime: range.start, EndTime: range.end } } }), 'application/json', 'timeStamp');
        for (const [format, payload] of Object.entries(bodies)) {
          global.gc?.();
          const base = process.memoryUsage().rss;
          let peak = base;
          const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
          const t0 = performance.now();
          const r = await post(payload, format === 'json' ? 'application/json' : 'application/xml', format === 'json' ? '"timeStamp"' : '<timeStamp>');
          const secs = (performance.now() - t0) / 1000;
          clearInterval(timer);
          peak = Math.max(peak, process.memoryUsage().rss);
          // Every meter's whole day is in the reply.
          if (r.status !== 200 || !r.head.includes('OK') || r.count !== METERS * 96) throw new Error(`cim bench ${format}: ${r.status}, ${r.count} readings of ${METERS * 96}: ${r.head.slice(0, 300)}`);
          const extra = { format, meters: METERS, readings: METERS * 96, replyMB: round(r.bytes / MB, 1) };
          out.push(
            { name: `cim.meter-readings.${format}.time`, value: round(secs), unit: 's', ...extra },
            { name: `cim.meter-readings.${format}.peak_rss_delta`, value: Math.round((peak - base) / MB), unit: 'MB', ...extra },
          );
        }
        await app.close();
      } finally {
        await engine.close();
        await t.drop();
        rmSync(dir, { recursive: true, force: true });
      }
      return out;
    },
  },
];
