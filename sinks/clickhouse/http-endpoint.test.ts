import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChdbEngine, ServerEngine } from './engine.js';
import { startChdbHttpEndpoint } from './http-endpoint.js';

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
