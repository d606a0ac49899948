import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChdbEngine, ServerEngine } from './engine.js';
import { startChdbHttpEndpoint } from './http-endpoint.js';
import { ClickHouseLogLevel } from '@clickhouse/client';

test('@clickhouse/client against the chDB HTTP endpoint: ping, params, settings, inserts, errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-chhttp-'));
  const chdb = new ChdbEngine(join(dir, 'ch'));
  const endpoint = await startChdbHttpEndpoint(chdb.session);
  const server = new ServerEngine({ url: endpoint.url, compression: { request: true, response: true } });
  try {
    assert.equal((await server.client.ping()).success, true);
    await server.exec('CREATE TABLE t (id UInt32, name String) ENGINE = MergeTree ORDER BY id');
    await server.client.insert({ table: 't', values: [{ id: 1, name: 'a' }, { id: 2, name: 'b' }], format: 'JSONEachRow' });
    assert.deepEqual(await server.query('SELECT id, name FROM t WHERE id > {min:UInt32} ORDER BY id', { min: 1 }), [{ id: 2, name: 'b' }]);
    const rs = await server.client.query({ query: "SELECT getSetting('max_threads') AS m", format: 'JSONEachRow', clickhouse_settings: { max_threads: 1 } });
    assert.deepEqual(await rs.json(), [{ m: 1 }]);
    await assert.rejects(server.query('SELECT * FROM missing_table'), /missing_table/);
    assert.deepEqual(await chdb.query('SELECT count() AS n FROM t'), [{ n: 2 }], 'the endpoint and the embedded engine share the data');
  } finally {
    await server.close();
    await endpoint.close();
    await chdb.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with credentials, the endpoint answers only the requests that carry them (basic, X-ClickHouse headers, URL); /ping stays open', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-chhttp-auth-'));
  const chdb = new ChdbEngine(join(dir, 'ch'));
  const endpoint = await startChdbHttpEndpoint(chdb.session, 0, '127.0.0.1', { user: 'grafana', password: 's3cret:with colon' });
  const right = new ServerEngine({ url: endpoint.url, username: 'grafana', password: 's3cret:with colon' });
  // Refusals are expected: the client's own error log stays quiet.
  const quiet = { log: { level: ClickHouseLogLevel.OFF } };
  const wrong = new ServerEngine({ url: endpoint.url, username: 'grafana', password: 's3cret', ...quiet });
  const nobody = new ServerEngine({ url: endpoint.url, ...quiet });
  const select = (init: RequestInit = {}, params = '') => fetch(`${endpoint.url}/?query=${encodeURIComponent('SELECT 42')}${params}`, init);
  try {
    assert.deepEqual(await right.query('SELECT 42 AS n'), [{ n: 42 }]);
    await assert.rejects(wrong.query('SELECT 42 AS n'), /Authentication failed/);
    await assert.rejects(nobody.query('SELECT 42 AS n'), /Authentication failed/);
    assert.equal((await nobody.client.ping()).success, true, '/ping needs no credential, as on ClickHouse');

    const refused = await select();
    assert.deepEqual([refused.status, refused.headers.get('x-clickhouse-exception-code')], [401, '516']);
    assert.equal(await (await select({ headers: { 'X-ClickHouse-User': 'grafana', 'X-ClickHouse-Key': 's3cret:with colon' } })).text(), '42\n');
    assert.equal(await (await select({}, `&user=grafana&password=${encodeURIComponent('s3cret:with colon')}`)).text(), '42\n');
    assert.equal((await select({ headers: { 'X-ClickHouse-User': 'default', 'X-ClickHouse-Key': 's3cret:with colon' } })).status, 401, 'another user name');
  } finally {
    for (const c of [right, wrong, nobody]) await c.close();
    await endpoint.close();
    await chdb.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
