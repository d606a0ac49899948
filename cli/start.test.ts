/** `hes start`: the API comes up on embedded storage with no external service, and /health answers. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/index.js';
import { startHes } from './start.js';

it('starts the API with an embedded registry in the data dir, and keeps data across restarts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-start-'));
  try {
    const cfg = loadConfig({ env: {}, overrides: { dataDir: dir, httpPort: 0, httpHost: '127.0.0.1', logLevel: 'silent' } });
    let hes = await startHes(cfg);
    assert.match(hes.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(await (await fetch(hes.url + '/health')).json(), { status: 'ok' });
    assert.equal(((await (await fetch(hes.url + '/docs/json')).json()) as { openapi: string }).openapi, '3.1.0');
    const login = await fetch(hes.url + '/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'hesadmin' }) });
    assert.equal(((await login.json()) as { mustChangePassword: boolean }).mustChangePassword, true);
    await hes.close();
    hes = await startHes(cfg);
    const again = await hes.registry.db.query('SELECT count(*)::int AS n FROM sessions');
    assert.deepEqual(again.rows, [{ n: 1 }]);
    await hes.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
