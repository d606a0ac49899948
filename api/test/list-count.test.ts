/** Registry list totals: exact up to 10,000 matching rows by default, exact at any size with ?count=exact (issue 14 item 8). */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES } from '../../registry/testing.js';
import { EXACT_COUNT_LIMIT } from '../../registry/crud.js';
import { startHarness, type Harness } from './harness.js';

const DEVICES = EXACT_COUNT_LIMIT + 37;

for (const engine of ENGINES) {
  describe(`device list total (${engine})`, () => {
    let h: Harness;
    let base: string;
    before(async () => {
      h = await startHarness(engine);
      base = `/api/v1/projects/${h.projectId}/devices`;
      await h.t.db.query(
        `INSERT INTO devices (project_id, serial_number, type, group_id)
         SELECT $1, 'S' || lpad(i::text, 6, '0'), 'CE207', (SELECT id FROM device_groups WHERE project_id = $1 LIMIT 1) FROM generate_series(1, $2::int) i`,
        [h.projectId, DEVICES],
      );
    });
    after(() => h.close());

    it('counts every matching device when asked ?count=exact', async () => {
      const r = await h.call('Operator', { method: 'GET', url: `${base}?limit=5&count=exact` });
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual([r.json().total, r.json().totalExact, r.json().items.length, r.json().hasMore], [DEVICES, true, 5, true]);
      const filtered = await h.call('Operator', { method: 'GET', url: `${base}?limit=5&count=exact&serialNumber=S01` });
      assert.deepEqual([filtered.json().total, filtered.json().totalExact], [DEVICES - 9_999, true], 'S010000 … S010037');
    });

    it('says by default that a total beyond 10,000 is an estimate', async () => {
      const r = await h.call('Operator', { method: 'GET', url: `${base}?limit=5` });
      assert.equal(r.json().totalExact, false);
      assert.ok(r.json().total > EXACT_COUNT_LIMIT);
      const small = await h.call('Operator', { method: 'GET', url: `${base}?limit=5&serialNumber=S00000` });
      assert.deepEqual([small.json().total, small.json().totalExact], [9, true], 'S000001 … S000009');
    });

    it('refuses an unknown counting mode naming the parameter', async () => {
      const r = await h.call('Operator', { method: 'GET', url: `${base}?count=all` });
      assert.deepEqual([r.statusCode, r.json().error.field], [400, 'querystring.count']);
    });
  });
}
