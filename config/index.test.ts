/** Configuration of the data plane, CENC and session limits: the kafka, clickhouse, cenc and sessions sections from file, environment and options. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseCencListener, parseSegmentLimit, publicConfig } from './index.js';

test('embedded by default; file < environment < options, section by section', () => {
  const d = loadConfig({ env: {} });
  assert.deepEqual([d.kafka, d.clickhouse, d.decoderThreads], [{ brokers: [], partitions: 12, publishReadings: false, publishCimEvents: false, wireFrames: 'received', sessionTimeoutSeconds: 30 }, { httpHost: '127.0.0.1', validateOnStore: true }, 0]);
  const dir = mkdtempSync(join(tmpdir(), 'hes-config-'));
  try {
    const file = join(dir, 'hes.json');
    writeFileSync(file, JSON.stringify({
      kafka: { brokers: ['k1:9092', 'k2:9092'], schemaRegistryUrl: 'http://registry:8081' },
      clickhouse: { url: 'http://ch:8123', user: 'hes', password: 'from-file', database: 'hes' },
      decoderThreads: 3,
    }));
    const c = loadConfig({
      file,
      env: { HES_CLICKHOUSE_PASSWORD: 'from-env', HES_KAFKA_PARTITIONS: '48', HES_DECODER_THREADS: '4', HES_PUBLISH_READINGS: 'true' },
      overrides: { kafka: { brokers: ['k3:9092'] } },
    });
    assert.deepEqual(c.kafka, { brokers: ['k3:9092'], schemaRegistryUrl: 'http://registry:8081', partitions: 48, publishReadings: true, publishCimEvents: false, wireFrames: 'received', sessionTimeoutSeconds: 30 });
    assert.deepEqual(c.clickhouse, { url: 'http://ch:8123', user: 'hes', password: 'from-env', database: 'hes', httpHost: '127.0.0.1', validateOnStore: true });
    assert.equal(c.decoderThreads, 4);
    assert.equal(c.deviceContextTtlSeconds, 60, 'one minute by default');
    assert.equal(loadConfig({ env: { HES_DEVICE_CONTEXT_TTL_SECONDS: '1800' } }).deviceContextTtlSeconds, 1800);
    assert.throws(() => loadConfig({ env: { HES_DEVICE_CONTEXT_TTL_SECONDS: '0' } }), /deviceContextTtlSeconds must be at least 1/);
    assert.deepEqual(loadConfig({ env: { HES_KAFKA_BROKERS: 'a:1, b:2', HES_CLICKHOUSE_HTTP_PORT: '8123' } }).kafka.brokers, ['a:1', 'b:2']);
    assert.equal(loadConfig({ env: { HES_CLICKHOUSE_HTTP_PORT: '8123' } }).clickhouse.httpPort, 8123);

    writeFileSync(file, JSON.stringify({ clickhouse: { host: 'ch' } }));
    assert.throws(() => loadConfig({ file, env: {} }), (e: Error) => e instanceof ConfigError && /unknown setting "clickhouse.host"/.test(e.message));
    writeFileSync(file, JSON.stringify({ kafka: 'k1:9092' }));
    assert.throws(() => loadConfig({ file, env: {} }), /kafka must be an object/);
    assert.throws(() => loadConfig({ env: { HES_CLICKHOUSE_HTTP_PORT: '70000' } }), /clickhouse.httpPort must be at most 65535/);
    assert.throws(() => loadConfig({ env: { HES_KAFKA_PARTITIONS: 'many' } }), /kafka.partitions must be a non-negative integer/);
    assert.throws(() => loadConfig({ env: { HES_PUBLISH_READINGS: 'yes' } }), /kafka.publishReadings must be true or false/);
    assert.equal(loadConfig({ env: { HES_WIRE_FRAMES: 'off' } }).kafka.wireFrames, 'off');
    assert.throws(() => loadConfig({ env: { HES_WIRE_FRAMES: 'yes' } }), /kafka.wireFrames must be off, received or all, got "yes"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cenc: listeners from file or environment, each checked; off by default', () => {
  assert.deepEqual(loadConfig({ env: {} }).cenc.listeners, []);
  const c = loadConfig({ env: { HES_CENC_LISTENERS: 'tcp:4059:wrapper, UDP:4059:wrapper,tcp:4060:hdlc', HES_CENC_AGENT_PORT: '4070' } });
  assert.deepEqual(c.cenc.listeners.map((l) => parseCencListener(l)), [
    { protocol: 'tcp', port: 4059, framing: 'wrapper' },
    { protocol: 'udp', port: 4059, framing: 'wrapper' },
    { protocol: 'tcp', port: 4060, framing: 'hdlc' },
  ]);
  assert.equal(c.cenc.agentPort, 4070);
  assert.equal(loadConfig({ env: {}, overrides: { cenc: { listeners: ['tcp:0:wrapper'] } } }).cenc.host, '0.0.0.0');
  assert.throws(() => loadConfig({ env: { HES_CENC_LISTENERS: 'tcp:4059' } }), (e: Error) => e instanceof ConfigError && /cenc.listeners: a listener is "<tcp\|udp>:<port>:<wrapper\|hdlc>".*"tcp:4059"/.test(e.message));
  assert.throws(() => loadConfig({ env: { HES_CENC_LISTENERS: 'tcp:70000:hdlc' } }), /cenc.listeners/);
  assert.throws(() => loadConfig({ env: { HES_CENC_AGENT_PORT: '70000' } }), /cenc.agentPort must be at most 65535/);
});

test('sessions: channel, process and segment limits, each checked', () => {
  assert.deepEqual(loadConfig({ env: {} }).sessions, { globalLimit: 0, channelLimit: 16, segments: [] });
  const c = loadConfig({ env: { HES_SESSION_SEGMENTS: 'cell:a:b:8:2.5,pool:0:1', HES_SESSION_CHANNEL_LIMIT: '4' } });
  assert.deepEqual(c.sessions.segments.map((s) => parseSegmentLimit(s)), [{ segment: 'cell:a:b', maxConcurrent: 8, perSecond: 2.5 }, { segment: 'pool', perSecond: 1 }]);
  assert.equal(c.sessions.channelLimit, 4);
  assert.throws(() => loadConfig({ env: { HES_SESSION_SEGMENTS: 'cell-7:many:2' } }), (e: Error) => e instanceof ConfigError && /sessions.segments: a segment limit is .*"cell-7:many:2"/.test(e.message));
  assert.throws(() => loadConfig({ env: { HES_SESSION_CHANNEL_LIMIT: '0' } }), /sessions.channelLimit must be at least 1/);
});

test('operations: the metrics listener and the ClickHouse HTTP interface bind to 127.0.0.1 unless told; NTP and the service log retention', () => {
  const d = loadConfig({ env: {} });
  assert.deepEqual([d.metrics, d.clickhouse.httpHost, d.ntp, d.serviceLogRetentionDays], [{ host: '127.0.0.1' }, '127.0.0.1', { maxOffsetSeconds: 1, pollSeconds: 300 }, 30]);
  const c = loadConfig({
    env: {
      HES_METRICS_PORT: '9464', HES_METRICS_HOST: '10.0.0.5', HES_CLICKHOUSE_HTTP_HOST: '10.0.0.5', HES_NTP_SERVER: 'ntp.example:1123',
      HES_NTP_MAX_OFFSET_SECONDS: '2', HES_SERVICE_LOG_RETENTION_DAYS: '90',
    },
  });
  assert.deepEqual([c.metrics, c.clickhouse.httpHost, c.ntp, c.serviceLogRetentionDays], [{ host: '10.0.0.5', port: 9464 }, '10.0.0.5', { server: 'ntp.example:1123', maxOffsetSeconds: 2, pollSeconds: 300 }, 90]);
  assert.throws(() => loadConfig({ env: { HES_METRICS_PORT: '70000' } }), /metrics.port must be at most 65535/);
  assert.throws(() => loadConfig({ env: { HES_NTP_POLL_SECONDS: '1' } }), /ntp.pollSeconds must be at least 10/);
});

test('the embedded ClickHouse HTTP interface off loopback needs a password; the devices_dim refresh period', () => {
  assert.throws(
    () => loadConfig({ env: { HES_CLICKHOUSE_HTTP_PORT: '8123', HES_CLICKHOUSE_HTTP_HOST: '10.0.0.5' } }),
    (e: Error) => e instanceof ConfigError && /clickhouse.httpHost 10.0.0.5 is not a loopback address: set clickhouse.httpPassword/.test(e.message),
  );
  const c = loadConfig({
    env: {
      HES_CLICKHOUSE_HTTP_PORT: '8123', HES_CLICKHOUSE_HTTP_HOST: '10.0.0.5', HES_CLICKHOUSE_HTTP_USER: 'grafana', HES_CLICKHOUSE_HTTP_PASSWORD: 'ch-http-secret',
      HES_CLICKHOUSE_DEVICES_REFRESH_SECONDS: '300',
    },
  });
  assert.deepEqual(c.clickhouse, { httpHost: '10.0.0.5', httpPort: 8123, httpUser: 'grafana', httpPassword: 'ch-http-secret', devicesRefreshSeconds: 300, validateOnStore: true });
  assert.equal(loadConfig({ env: { HES_VALIDATE_ON_STORE: 'false' } }).clickhouse.validateOnStore, false);
  assert.equal(loadConfig({ env: { HES_CLICKHOUSE_HTTP_PORT: '8123' } }).clickhouse.httpPassword, undefined, 'on loopback a password is optional');
  assert.ok(!JSON.stringify(publicConfig(c)).includes('ch-http-secret'));
});

test('notifications: attempts and the first retry delay', () => {
  assert.deepEqual(loadConfig({ env: {} }).notifications, { maxAttempts: 6, retryBaseSeconds: 30 });
  assert.deepEqual(loadConfig({ env: { HES_NOTIFICATION_MAX_ATTEMPTS: '3', HES_NOTIFICATION_RETRY_BASE_SECONDS: '10' } }).notifications, { maxAttempts: 3, retryBaseSeconds: 10 });
  assert.throws(() => loadConfig({ env: { HES_NOTIFICATION_MAX_ATTEMPTS: '0' } }), /notifications.maxAttempts must be at least 1/);
});

test('the configuration as the service log shows it holds no secret', () => {
  const c = loadConfig({
    env: {
      HES_MASTER_KEY: 'a'.repeat(64), HES_DATABASE_URL: 'postgres://hes:db-secret@pg:5432/hes', HES_CLICKHOUSE_URL: 'http://u:ch-url-secret@ch:8123',
      HES_CLICKHOUSE_PASSWORD: 'ch-secret', HES_WMBUS_MQTT_URL: 'mqtt://gw:mqtt-secret@broker:1883',
      HES_LORAWAN_MQTT_URL: 'mqtts://hes:chirpstack-secret@lns:8883', HES_LORAWAN_MQTT_SHARE_GROUP: 'hes-a',
    },
  });
  const shown = JSON.stringify(publicConfig(c));
  for (const secret of ['a'.repeat(64), 'db-secret', 'ch-url-secret', 'ch-secret', 'mqtt-secret', 'chirpstack-secret']) assert.ok(!shown.includes(secret), secret);
  const p = publicConfig(c) as { databaseUrl: string; clickhouse: { url: string }; wmbus: { mqttUrl: string }; lorawan: { mqttUrl: string; mqttShareGroup: string }; masterKey: string };
  assert.deepEqual([p.masterKey, p.databaseUrl, p.clickhouse.url, p.wmbus.mqttUrl], ['configured', 'postgres://pg:5432', 'http://ch:8123', 'mqtt://broker:1883']);
  assert.deepEqual([p.lorawan.mqttUrl, p.lorawan.mqttShareGroup], ['mqtts://lns:8883', 'hes-a']);
});

test('telemetry: off by default; file and HES_OTEL_* environment; the ratio checked; the endpoint shown by its origin only', () => {
  assert.deepEqual(loadConfig({ env: {} }).telemetry, { enabled: false, serviceName: 'hes', sampleRatio: 1 });
  const c = loadConfig({ env: { HES_OTEL_ENABLED: 'true', HES_OTEL_ENDPOINT: 'https://user:key@collector:4318', HES_OTEL_SERVICE_NAME: 'hes-pipeline', HES_OTEL_SAMPLE_RATIO: '0.25' } });
  assert.deepEqual(c.telemetry, { enabled: true, endpoint: 'https://user:key@collector:4318', serviceName: 'hes-pipeline', sampleRatio: 0.25 });
  assert.deepEqual((publicConfig(c).telemetry as { endpoint: string }).endpoint, 'https://collector:4318');
  assert.throws(() => loadConfig({ env: { HES_OTEL_SAMPLE_RATIO: '1.5' } }), /telemetry\.sampleRatio must be a number from 0 to 1/);
  assert.throws(() => loadConfig({ env: { HES_OTEL_SAMPLE_RATIO: 'half' } }), ConfigError);
});
