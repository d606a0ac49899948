import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchContext, inSpan, launchContext, traceHeaders, tracesUrl, tracing } from './index.js';

const cfg = { enabled: true, serviceName: 'hes', sampleRatio: 1 };

test('the traces URL: the configured endpoint, else the standard variables, else a local collector', () => {
  assert.equal(tracesUrl(cfg, {}), 'http://127.0.0.1:4318/v1/traces');
  assert.equal(tracesUrl(cfg, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318/' }), 'http://otel:4318/v1/traces');
  assert.equal(tracesUrl(cfg, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://otel:4318/custom', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' }), 'http://otel:4318/custom');
  assert.equal(tracesUrl({ ...cfg, endpoint: 'http://c:4318/v1/traces' }, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' }), 'http://c:4318/v1/traces');
});

test('off: no SDK, spans are plain calls, no bus headers, no launch context', async () => {
  assert.equal(tracing(), false);
  assert.equal(await inSpan('x', {}, async () => 42), 42);
  await assert.rejects(inSpan('x', {}, async () => Promise.reject(new Error('boom'))), /boom/);
  assert.equal(traceHeaders(), undefined);
  assert.equal(launchContext('0b0c0d0e-0000-4000-8000-000000000001'), undefined);
  assert.deepEqual(batchContext([{}, { headers: {} }]), { links: [] });
});
