/**
 * Request size limits: each route refuses bodies above its own limit with a 413 before reading them
 * (sign-in a few KB, JSON routes 1 MiB, imports their documented limits); the synchronous XLSX import
 * refuses files above IMPORT_SYNC_MAX_ROWS rows and points to import jobs; an invalid file's JSON answer
 * lists the first 1,000 bad cells with the total, while its workbook marks them all. PGlite only: the
 * limits do not depend on the engine.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { BODY_LIMITS } from '../http.js';
import { IMPORT_SYNC_MAX_ROWS } from '../transfer.js';
import { startHarness, type Harness } from './harness.js';
import { XLSX, workbook } from './xlsx.js';

const row = (n: number, type = 'CE308'): (string | number)[] =>
  ['TCP 1', 'TCP', '10.0.0.1', 4059, 'dlms', 'DLMS', 16, '12345678', 35, 'g', type, String(n).padStart(13, '0')];

describe('request size limits', () => {
  let h: Harness;
  let base: string;
  before(async () => {
    h = await startHarness('pglite');
    base = `/api/v1/projects/${h.projectId}`;
  });
  after(() => h.close());

  const json = (size: number) => JSON.stringify({ username: 'x', password: 'y', pad: 'p'.repeat(size) });

  it('sign-in takes a few KB, no more, and the limit holds before any credential check', async () => {
    assert.equal(BODY_LIMITS.credentials, 4096);
    const big = await h.call(null, { method: 'POST', url: '/api/v1/auth/login', payload: json(BODY_LIMITS.credentials), headers: { 'content-type': 'application/json' } });
    assert.equal(big.statusCode, 413, big.body);
    assert.deepEqual([big.json().error.code, big.json().error.field], ['BODY_TOO_LARGE', 'body']);
    const small = await h.call(null, { method: 'POST', url: '/api/v1/auth/login', payload: { username: 'nobody', password: 'wrong' } });
    assert.equal(small.statusCode, 401);
    for (const url of ['/api/v1/auth/refresh', '/api/v1/auth/password']) {
      const r = await h.call('Operator', { method: 'POST', url, payload: json(BODY_LIMITS.credentials), headers: { 'content-type': 'application/json' } });
      assert.equal(r.statusCode, 413, `${url}: ${r.body}`);
    }
  });

  it('JSON routes take 1 MiB; device lists (tasks, commands) more', async () => {
    const device = await h.call('Administrator', { method: 'POST', url: `${base}/devices`, payload: JSON.stringify({ serialNumber: 'x', type: 'CE308', pad: 'p'.repeat(BODY_LIMITS.json) }), headers: { 'content-type': 'application/json' } });
    assert.equal(device.statusCode, 413, device.body);
    // 30,000 device ids (~1.2 MB) fit, and are refused for what they are (unknown devices), not for size.
    const ids = Array.from({ length: 30_000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const task = await h.call('Administrator', {
      method: 'POST', url: `${base}/tasks`, payload: { name: 'big', deviceIds: ids, content: { states: ['time'] } },
    });
    assert.ok(JSON.stringify(ids).length > BODY_LIMITS.json);
    assert.notEqual(task.statusCode, 413, task.body);
    assert.ok(task.statusCode < 500, task.body);
  });

  it('the synchronous import refuses files above its byte and row limits and names the import-job route', async () => {
    const huge = await h.call('Administrator', {
      method: 'POST', url: `${base}/devices/import`, payload: Buffer.alloc(BODY_LIMITS.xlsxImport + 1), headers: { 'content-type': XLSX },
    });
    assert.equal(huge.statusCode, 413, huge.body);
    const rows = Array.from({ length: IMPORT_SYNC_MAX_ROWS + 1 }, (_, i) => row(i + 1));
    const file = await workbook(rows);
    assert.ok(file.length < BODY_LIMITS.xlsxImport);
    const r = await h.call('Administrator', { method: 'POST', url: `${base}/devices/import`, payload: file, headers: { 'content-type': XLSX } });
    assert.equal(r.statusCode, 413, r.body);
    const error = r.json().error;
    assert.deepEqual([error.code, error.field], ['IMPORT_TOO_MANY_ROWS', 'body']);
    assert.match(error.message, new RegExp(`${IMPORT_SYNC_MAX_ROWS}`));
    assert.match(error.message, /\/devices\/import-jobs/);
    assert.equal((await h.t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM devices WHERE project_id = $1', [h.projectId])).rows[0].n, 0);
  });

  it('an invalid file answers the first 1,000 bad cells and their total; the workbook marks every one', async () => {
    const rows = Array.from({ length: 600 }, (_, i) => {
      const r = row(i + 1, 'CE999');
      r[2] = '10.0.0.300';
      return r;
    });
    const file = await workbook(rows);
    const r = await h.call('Administrator', { method: 'POST', url: `${base}/devices/import`, payload: file, headers: { 'content-type': XLSX } });
    assert.equal(r.statusCode, 422, r.body.slice(0, 500));
    const body = r.json();
    assert.equal(body.errorCount, 1200);
    assert.equal(body.errors.length, 1000);
    assert.match(body.error.message, /1200 bad cell/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(body.errorWorkbook, 'base64') as unknown as ArrayBuffer);
    let marked = 0;
    wb.worksheets[0].eachRow((line) => line.eachCell((cell) => {
      if (cell.note) marked++;
    }));
    assert.equal(marked, 1200);
  });

  it('OpenAPI states each route\'s body limit', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const limitOf = (path: string, method: string) => String(doc.paths[path][method].responses['413']?.description);
    assert.match(limitOf('/api/v1/auth/login', 'post'), /4,096 bytes/);
    assert.match(limitOf('/api/v1/projects/{projectId}/devices', 'post'), /1,048,576 bytes/);
    assert.match(limitOf('/api/v1/projects/{projectId}/devices/import', 'post'), /16,777,216 bytes/);
    assert.match(limitOf('/api/v1/projects/{projectId}/devices/import-jobs', 'post'), /67,108,864 bytes/);
  });
});
