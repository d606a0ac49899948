/** Configuration of the data plane: the kafka and clickhouse sections from file, environment and options. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './index.js';

test('embedded by default; file < environment < options, section by section', () => {
  const d = loadConfig({ env: {} });
  assert.deepEqual([d.kafka, d.clickhouse, d.decoderThreads], [{ brokers: [], partitions: 12, publishReadings: false }, {}, 0]);
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
    assert.deepEqual(c.kafka, { brokers: ['k3:9092'], schemaRegistryUrl: 'http://registry:8081', partitions: 48, publishReadings: true });
    assert.deepEqual(c.clickhouse, { url: 'http://ch:8123', user: 'hes', password: 'from-env', database: 'hes' });
    assert.equal(c.decoderThreads, 4);
    assert.deepEqual(loadConfig({ env: { HES_KAFKA_BROKERS: 'a:1, b:2', HES_CLICKHOUSE_HTTP_PORT: '8123' } }).kafka.brokers, ['a:1', 'b:2']);
    assert.equal(loadConfig({ env: { HES_CLICKHOUSE_HTTP_PORT: '8123' } }).clickhouse.httpPort, 8123);

    writeFileSync(file, JSON.stringify({ clickhouse: { host: 'ch' } }));
    assert.throws(() => loadConfig({ file, env: {} }), (e: Error) => e instanceof ConfigError && /unknown setting "clickhouse.host"/.test(e.message));
    writeFileSync(file, JSON.stringify({ kafka: 'k1:9092' }));
    assert.throws(() => loadConfig({ file, env: {} }), /kafka must be an object/);
    assert.throws(() => loadConfig({ env: { HES_CLICKHOUSE_HTTP_PORT: '70000' } }), /clickhouse.httpPort must be at most 65535/);
    assert.throws(() => loadConfig({ env: { HES_KAFKA_PARTITIONS: 'many' } }), /kafka.partitions must be a non-negative integer/);
    assert.throws(() => loadConfig({ env: { HES_PUBLISH_READINGS: 'yes' } }), /kafka.publishReadings must be true or false/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
