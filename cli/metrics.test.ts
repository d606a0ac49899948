/**
 * /metrics of a running HES (issue 15 §7, issue 14 §8): after real work — the demo's launches read a simulated
 * meter, the pipeline decodes and stores its answers, a connection to CENC sends no identification — the
 * pipeline's, scheduler's, CENC's and API's counters have moved; the event-loop statistics never report the
 * empty histogram; the metrics listener serves them without a credential on its private address, the API only
 * with one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/index.js';
import { freePort, poll } from './hes-process.js';
import { startHes, type RunningHes } from './start.js';

/** The sum of a metric's samples whose labels include `labels` (0 when it has none). */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const has = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => has[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

describe('metrics of a running HES', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-metrics-'));
  let hes: RunningHes;
  const scrape = async () => {
    const r = await fetch(`${hes.metricsUrl}/metrics`);
    assert.equal(r.status, 200);
    return r.text();
  };

  before(async () => {
    const config = loadConfig({
      env: {},
      overrides: {
        dataDir: dir, httpPort: 0, httpHost: '127.0.0.1', logLevel: 'silent', decoderThreads: 1,
        metrics: { port: await freePort() }, cenc: { listeners: ['tcp:0:wrapper'], host: '127.0.0.1' },
      },
    });
    hes = await startHes(config, { demo: 1 });
  });
  after(async () => {
    await hes?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the metrics listener on 127.0.0.1 by default, without a credential; the API asks for one', async () => {
    assert.match(hes.metricsUrl!, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await fetch(`${hes.metricsUrl}/other`)).status, 404);
    assert.equal((await fetch(`${hes.url}/metrics`)).status, 401);
  });

  it('never reports the event-loop statistics of an empty interval (9.2e9 s, NaN)', async () => {
    // Two scrapes in a row: the second interval may hold no sample at all.
    for (const text of [await scrape(), await scrape()]) {
      for (const line of text.split('\n').filter((l) => l.startsWith('hes_nodejs_eventloop_lag'))) {
        const v = Number(line.split(' ').pop());
        assert.ok(Number.isFinite(v) && v >= 0 && v < 60, line);
      }
    }
  });

  it('counts the pipeline, scheduler, sessions and API after the demo read its meter', async () => {
    const text = await poll(scrape, (t) => value(t, 'hes_pipeline_readings_out_total') > 0 && value(t, 'hes_scheduler_launches_finished_total') >= 2, 180_000, 500, 'readings stored and both demo launches finished');
    assert.ok(value(text, 'hes_pipeline_frames_in_total') > 0);
    assert.ok(value(text, 'hes_pipeline_batch_seconds_count') > 0, 'batch latency observed');
    assert.ok(value(text, 'hes_pipeline_insert_seconds_count') > 0, 'sink insert time observed');
    assert.match(text, /^hes_pipeline_lag_messages \d+$/m);
    assert.equal(value(text, 'hes_scheduler_launches_started_total'), value(text, 'hes_scheduler_launches_finished_total') + value(text, 'hes_scheduler_launches_running'));
    assert.ok(value(text, 'hes_scheduler_sessions_total', { channel_kind: 'TCP', outcome: 'opened' }) >= 2);
    assert.ok(value(text, 'hes_scheduler_device_results_total', { result: 'success' }) >= 2);
    assert.match(text, /^hes_scheduler_launches_pending \d+$/m);
    assert.match(text, /^hes_sessions_queued \d+$/m);
    assert.match(text, /^hes_decoder_pool_queued_batches \d+$/m);
    await fetch(`${hes.url}/health`);
    assert.equal(value(await scrape(), 'hes_http_requests_total', { method: 'GET', route: '/health', status: '200' }), 1);
  });

  it('counts connections to CENC and what their identification gave', async () => {
    const before = await scrape();
    const socket = connect(hes.cencPorts!.listeners[0]!, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(Buffer.alloc(5000, 0x55)); // no identification: the listener closes it
    await new Promise((r) => socket.once('close', r));
    const text = await poll(scrape, (t) => value(t, 'hes_cenc_identifications_total', { outcome: 'unidentified' }) > value(before, 'hes_cenc_identifications_total', { outcome: 'unidentified' }), 10_000, 100, 'unidentified counted');
    assert.equal(value(text, 'hes_cenc_connections_accepted_total', { transport: 'tcp' }), value(before, 'hes_cenc_connections_accepted_total', { transport: 'tcp' }) + 1);
    assert.match(text, /^hes_cenc_connections \d+$/m);
  });
});
