/**
 * `hes start`: the API and the data plane come up on embedded storage with no external service, /health
 * answers, the data folder is private to the HES's user (0700, files 0600), and the embedded ClickHouse
 * serves its HTTP interface on 127.0.0.1 when configured.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { loadConfig } from '../config/index.js';
import { gateOptions, startHes } from './start.js';

it('starts the API with an embedded registry in the data dir, and keeps data across restarts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-start-'));
  try {
    chmodSync(dir, 0o755);
    const cfg = loadConfig({ env: {}, overrides: { dataDir: dir, httpPort: 0, httpHost: '127.0.0.1', logLevel: 'silent' } });
    let hes = await startHes(cfg);
    // Registry, durable log, chDB, master key: nothing in the data folder is open to group or others.
    const openToOthers = () => readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f)).filter((p) => (statSync(p).mode & 0o077) !== 0);
    assert.deepEqual(openToOthers(), []);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.ok(readdirSync(join(dir, 'bus')).length && readdirSync(join(dir, 'registry')).length && readdirSync(join(dir, 'clickhouse')).length);
    assert.match(hes.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(await (await fetch(hes.url + '/health')).json(), { status: 'ok' });
    assert.equal(((await (await fetch(hes.url + '/docs/json')).json()) as { openapi: string }).openapi, '3.1.0');
    const login = await fetch(hes.url + '/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'hesadmin' }) });
    assert.equal(((await login.json()) as { mustChangePassword: boolean }).mustChangePassword, true);
    const shipped = readdirSync(fileURLToPath(new URL('../schemas/clickhouse/', import.meta.url))).filter((f) => f.endsWith('.sql')).sort();
    assert.deepEqual((await hes.data.engine.query('SELECT name FROM schema_migrations ORDER BY name')).map((r) => r.name), shipped);
    await hes.close();
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const chPort = (s.address() as { port: number }).port;
    await new Promise((r) => s.close(r));
    hes = await startHes(loadConfig({ env: {}, overrides: { dataDir: dir, httpPort: 0, httpHost: '127.0.0.1', logLevel: 'silent', clickhouse: { httpPort: chPort } } }));
    const again = await hes.registry.db.query('SELECT count(*)::int AS n FROM sessions');
    assert.deepEqual(again.rows, [{ n: 1 }]);
    assert.equal(hes.data.clickhouseHttp, `http://127.0.0.1:${chPort}`);
    const ch = await fetch(`${hes.data.clickhouseHttp}/?query=${encodeURIComponent('SELECT count() FROM events')}`);
    assert.equal(await ch.text(), '0\n');
    await hes.close();
    assert.deepEqual(openToOthers(), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('takes the session limits of the configuration: per channel, per process and per network segment', () => {
  const cfg = loadConfig({ env: { HES_SESSION_SEGMENTS: 'cell 250-01-1234:4:2, modem-pool-a:0:0.5', HES_SESSION_GLOBAL_LIMIT: '200' } });
  assert.deepEqual(gateOptions(cfg), { channelLimit: 16, globalLimit: 200, segments: { 'cell 250-01-1234': { maxConcurrent: 4, perSecond: 2 }, 'modem-pool-a': { perSecond: 0.5 } } });
  assert.deepEqual(gateOptions(loadConfig({ env: {} })), { channelLimit: 16, segments: {} });
});
