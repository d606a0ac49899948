/**
 * Traces across processes (issue 24, docs/telemetry.md): a scheduler process (with the API and a demo
 * fleet) and a pipeline process (`hes start --roles`) on one PostgreSQL database, librdkafka's mock Kafka
 * cluster and chDB's ClickHouse HTTP endpoint, both exporting to an OTLP/HTTP receiver this test runs (a
 * plain HTTP server decoding the OTLP JSON export: no collector exists here). One launch's spans — the
 * launch, its device sessions, the pipeline's batch of their frames and its ClickHouse insert — form one
 * trace over both processes; the API request that started it has its registry queries as children; no
 * span attribute carries a secret.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMockCluster, type MockCluster } from '../bus/kafka/mock-cluster.js';
import { openTestDb, type TestDb } from '../registry/testing.js';
import { Topics } from '../schemas/avro/index.js';
import { ChdbEngine } from '../sinks/clickhouse/engine.js';
import { startChdbHttpEndpoint } from '../sinks/clickhouse/http-endpoint.js';
import { HesClient, poll, spawnHes, type HesProcess } from './hes-process.js';

interface OtlpValue { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number }
interface OtlpSpan { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: { key: string; value: OtlpValue }[] }
interface Span extends OtlpSpan { service: string; attrs: Record<string, unknown> }

const PASSWORD = 'Trace-admin-pass1';

describe('telemetry: one launch is one trace over the scheduler and the pipeline process', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-otel-'));
  const spans: Span[] = [];
  const processes: HesProcess[] = [];
  let receiver: Server;
  let t: TestDb;
  let cluster: MockCluster;
  let chdb: ChdbEngine;
  let endpoint: { url: string; close(): Promise<void> };

  before(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        assert.equal(req.url, '/v1/traces');
        assert.match(String(req.headers['content-type']), /application\/json/);
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { resourceSpans: { resource: { attributes: { key: string; value: OtlpValue }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[] };
        for (const rs of body.resourceSpans) {
          const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
          for (const ss of rs.scopeSpans) {
            for (const s of ss.spans) {
              const attrs = Object.fromEntries((s.attributes ?? []).map((a) => [a.key, a.value.stringValue ?? a.value.intValue ?? a.value.boolValue ?? a.value.doubleValue]));
              spans.push({ ...s, service, attrs });
            }
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as { port: number }).port;
    t = await openTestDb('postgres');
    cluster = await startMockCluster([{ name: Topics.rawFrames, partitions: 2 }, { name: Topics.deadLetters, partitions: 1 }, { name: Topics.events, partitions: 1 }]);
    chdb = new ChdbEngine(join(dir, 'clickhouse-server'));
    endpoint = await startChdbHttpEndpoint(chdb.session);
    const env = {
      HES_DATABASE_URL: t.url!, HES_MASTER_KEY: randomBytes(32).toString('hex'),
      HES_KAFKA_BROKERS: cluster.brokers.join(','), HES_KAFKA_PARTITIONS: '2', HES_WIRE_FRAMES: 'off',
      HES_CLICKHOUSE_URL: endpoint.url, HES_CLICKHOUSE_USER: 'default', HES_CLICKHOUSE_DEVICES_REFRESH_SECONDS: '0',
      HES_DECODER_THREADS: '1', HES_GAP_ROUNDS_PER_DAY: '0',
      // The standard variable names the collector; the HES's own settings switch tracing on.
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, HES_OTEL_ENABLED: 'true',
    };
    const start = (name: string, args: string[]) => {
      const p = spawnHes(['start', ...args, '--data-dir', join(dir, name), '--http-port', '0', '--http-host', '127.0.0.1'], { ...env, HES_OTEL_SERVICE_NAME: `hes-${name}` });
      processes.push(p);
      return p;
    };
    // The scheduler process applies the migrations; the pipeline process starts once it is up.
    const scheduler = start('scheduler', ['--roles', 'api,scheduler', '--demo', '2']);
    await scheduler.waitFor(/roles: /, 180_000);
    await start('pipeline', ['--roles', 'pipeline']).waitFor(/roles: /, 180_000);
  });

  after(async () => {
    for (const p of processes) await p.stop();
    await endpoint?.close();
    await chdb?.close();
    await cluster?.stop();
    await t?.drop();
    await new Promise((r) => receiver?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('links the launch, its sessions, the pipeline batch and the ClickHouse insert in one trace', async () => {
    const [scheduler, pipeline] = processes as [HesProcess, HesProcess];
    const url = (await scheduler.waitFor(/HES API listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    const [, projectId, taskId] = await scheduler.waitFor(/project "Demo" (\S+)[\s\S]*?launches: GET \S+\/tasks\/([0-9a-f-]+)\/launches/);
    const client = new HesClient(`${url}/api/v1`);
    await client.signIn('admin', 'hesadmin', PASSWORD);
    const launchId = (await client.post<{ id: string }>(`/projects/${projectId}/tasks/${taskId}/run`)).id;
    await poll(() => client.get<{ state: string }>(`/projects/${projectId}/launches/${launchId}`), (l) => l.state === 'finished', 120_000, 250, 'the launch finished');
    // The pipeline's insert span arrives once its batch is stored and the exporter's next tick (1 s) runs.
    const launch = await poll(async () => spans.find((s) => s.name === 'launch' && s.attrs['hes.launch.id'] === launchId), Boolean, 60_000, 250, 'the launch span');
    const inTrace = () => spans.filter((s) => s.traceId === launch!.traceId);
    await poll(async () => inTrace(), (all) => all.some((s) => s.name === 'clickhouse.insert'), 60_000, 250, 'the ClickHouse insert span in the launch trace');
    await pipeline.stop();
    await scheduler.stop();
    const trace = inTrace();
    const names = (service: string) => new Set(trace.filter((s) => s.service === service).map((s) => s.name));
    for (const n of ['launch', 'device', 'session']) assert.ok(names('hes-scheduler').has(n), `scheduler spans ${[...names('hes-scheduler')]} include ${n}`);
    for (const n of ['pipeline.batch', 'pipeline.decode', 'clickhouse.insert']) assert.ok(names('hes-pipeline').has(n), `pipeline spans ${[...names('hes-pipeline')]} include ${n}`);
    // Parent links: the batch is a child of a session in the other process; the insert of the batch; sessions of devices of the launch.
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const batch = trace.find((s) => s.name === 'pipeline.batch')!;
    assert.equal(byId.get(batch.parentSpanId!)?.name, 'session', 'the batch continues the session that sent its frames');
    const insert = trace.find((s) => s.name === 'clickhouse.insert')!;
    assert.equal(byId.get(insert.parentSpanId!)?.spanId, batch.spanId, 'the insert is the batch\'s');
    const session = byId.get(batch.parentSpanId!)!;
    const device = byId.get(session.parentSpanId!)!;
    assert.equal(device.name, 'device');
    assert.equal(device.parentSpanId, launch!.spanId, 'the device session hangs under the launch');

    // The API request that ran the launch, with its registry queries as children, in its own trace.
    const run = spans.find((s) => s.name.startsWith('POST ') && s.name.endsWith('/tasks/:taskId/run'));
    assert.ok(run, `an API span for the run request among ${[...new Set(spans.map((s) => s.name))].slice(0, 30)}`);
    assert.equal(Number(run.attrs['http.response.status_code']), 202);
    assert.ok(spans.some((s) => s.parentSpanId === run.spanId && s.name.startsWith('registry ')), 'registry queries under the request');

    // Secrets never in spans: the admin's password, the master key, tokens.
    const all = JSON.stringify(spans);
    for (const secret of [PASSWORD, 'hesadmin', client.token!]) assert.ok(!all.includes(secret), 'no secret in span attributes');
  });
});
