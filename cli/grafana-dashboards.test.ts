/**
 * dashboards/ (docs/grafana.md) against a running HES: every ClickHouse panel's SQL and every query variable,
 * with Grafana's macros and the variables replaced by concrete values, runs through the embedded ClickHouse HTTP
 * interface with its credentials (as the Grafana plugin in HTTP mode does) on the sample warehouse and returns
 * rows; every Prometheus panel names metrics the HES registers; every panel uses a provisioned data source.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/index.js';
import { ServerEngine } from '../sinks/clickhouse/engine.js';
import { SAMPLE_WAREHOUSE } from '../sinks/clickhouse/sql-samples.js';
import { freePort } from './hes-process.js';
import { startHes, type RunningHes } from './start.js';

interface Target { refId: string; datasource: { type: string; uid: string }; rawSql?: string; expr?: string; format?: number; queryType?: string; editorType?: string }
interface Panel { id: number; title: string; datasource: { type: string; uid: string }; targets: Target[] }
interface Variable { name: string; type: string; query: string; datasource?: { type: string; uid: string }; options?: { value: string }[] }
interface Dashboard { uid: string; title: string; panels: Panel[]; templating: { list: Variable[] } }

const folder = new URL('../../dashboards/', import.meta.url);
const dashboards = readdirSync(folder).filter((f) => f.endsWith('.json')).sort()
  .map((f) => ({ file: f, board: JSON.parse(readFileSync(new URL(f, folder), 'utf8')) as Dashboard }));
const provisioning = readFileSync(new URL('provisioning/datasources.yaml', folder), 'utf8');
const provisioned = new Map([...provisioning.matchAll(/type: (\S+)\n\s+uid: (\S+)/g)].map((m) => [m[2]!, m[1]!]));

const FROM = "toDateTime('2026-11-01 00:00:00', 'UTC')";
const TO = "toDateTime('2026-11-05 00:00:00', 'UTC')";

/** The SQL Grafana's ClickHouse plugin would send for the time range of the sample data and these variable values. */
function interpolate(sql: string, variables: Map<string, string>): string {
  return sql
    .replace(/\$__timeFilter\(((?:[^()]|\([^()]*\))*)\)/g, (_, col: string) => `(${col} >= ${FROM} AND ${col} <= ${TO})`)
    .replace(/\$__fromTime\b/g, FROM)
    .replace(/\$__toTime\b/g, TO)
    .replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, a: string | undefined, b: string | undefined) => variables.get((a ?? b)!) ?? whole);
}

describe('Grafana dashboards', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-grafana-'));
  let hes: RunningHes;
  let grafana: ServerEngine;

  before(async () => {
    const config = loadConfig({
      env: {},
      overrides: {
        dataDir: dir, httpPort: 0, httpHost: '127.0.0.1', logLevel: 'silent', decoderThreads: 1,
        // devices_dim holds the sample meters, not copied from this registry.
        clickhouse: { httpPort: await freePort(), httpUser: 'grafana', httpPassword: 'dashboards-secret', devicesRefreshSeconds: 0 },
      },
    });
    hes = await startHes(config);
    for (const sql of SAMPLE_WAREHOUSE) await hes.data.engine.exec(sql);
    grafana = new ServerEngine({ url: hes.data.clickhouseHttp!, username: 'grafana', password: 'dashboards-secret' });
  });
  after(async () => {
    await grafana?.close();
    await hes?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ships the four dashboards, each panel on a provisioned data source of its type', () => {
    assert.deepEqual(dashboards.map((d) => d.board.uid), ['hes-collection', 'hes-meter', 'hes-outages', 'hes-pipeline']);
    assert.deepEqual([...provisioned], [['hes-clickhouse', 'grafana-clickhouse-datasource'], ['hes-prometheus', 'prometheus']]);
    for (const { board } of dashboards) {
      for (const p of board.panels) {
        for (const t of [p.datasource, ...p.targets.map((x) => x.datasource)]) assert.equal(provisioned.get(t.uid), t.type, `${board.uid} / ${p.title}`);
      }
    }
  });

  for (const { file, board } of dashboards) {
    it(`${file}: every ClickHouse query runs on the sample data and returns rows`, async () => {
      const variables = new Map<string, string>();
      for (const v of board.templating.list) {
        if (v.type === 'custom') variables.set(v.name, v.options![0]!.value);
        else {
          const rows = await grafana.query<Record<string, unknown>>(interpolate(v.query, variables));
          assert.ok(rows.length > 0, `variable ${v.name}`);
          variables.set(v.name, String(Object.values(rows[0]!)[0]));
        }
      }
      for (const p of board.panels) {
        for (const t of p.targets.filter((x) => x.datasource.type === 'grafana-clickhouse-datasource')) {
          assert.equal(t.editorType, 'sql');
          assert.ok(t.format === (t.queryType === 'table' ? 1 : 0), `${p.title}: format ${t.format} for ${t.queryType}`);
          const sql = interpolate(t.rawSql!, variables);
          assert.doesNotMatch(sql, /\$/, `${p.title}: a macro or variable left`);
          const rows = await grafana.query(sql);
          assert.ok(rows.length > 0, `${p.title}: no rows`);
        }
      }
    });
  }

  it('every Prometheus panel names metrics the HES registers', async () => {
    const registered = new Set<string>();
    for (const m of await hes.metrics.registry.getMetricsAsJSON()) {
      registered.add(m.name);
      if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) registered.add(m.name + s);
    }
    let checked = 0;
    for (const { board } of dashboards) {
      for (const p of board.panels) {
        for (const t of p.targets.filter((x) => x.datasource.type === 'prometheus')) {
          const names = t.expr!.match(/\bhes_[a-z0-9_]+/g) ?? [];
          assert.ok(names.length > 0, `${p.title}: ${t.expr}`);
          for (const n of names) assert.ok(registered.has(n), `${p.title}: ${n} is not a HES metric`);
          checked += names.length;
        }
      }
    }
    assert.ok(checked >= 10);
  });
});
