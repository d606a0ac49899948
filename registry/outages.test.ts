/** Outages on both engines: opened by a last gasp, closed by the first communication after it, from the pipeline's state changes. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, openTestDb, type TestDb } from './testing.js';
import { createDevice, createProject } from './project-data.js';
import { applyOutageStates, closeOutage, deviceOutages, openOutage } from './outages.js';
import type { StateChange } from '../decoders/protocol-decoder.js';

const T = Date.UTC(2025, 4, 1, 12);
const MIN = 60_000;

for (const engine of ENGINES) {
  describe(`device outages (${engine})`, () => {
    let t: TestDb;
    before(async () => {
      t = await openTestDb(engine);
    });
    after(() => t.drop());

    it('a batch’s off/on changes open and close outages in time order; a communication before the gasp (a replay) closes nothing', async () => {
      const p = String((await createProject(t.db, { name: 'outages' }, null)).id);
      const devices = (await Promise.all(['O-1', 'O-2', 'O-3'].map((serialNumber) => createDevice(t.db, p, { serialNumber, type: 'CE308' })))).map((d) => ({ id: String(d.id) }));
      const nums = (await t.db.query<{ num: number }>('SELECT num FROM devices WHERE id = ANY($1::uuid[]) ORDER BY serial_number', [devices.map((d) => d.id)])).rows.map((r) => Number(r.num));
      const [a, b, c] = nums as [number, number, number];
      const change = (deviceId: number, value: 'on' | 'off', at: number): StateChange => ({ deviceId, archive: 'state-outage', code: 'power', value, at });
      await applyOutageStates(t.db, [
        // a: frames before and after its gasp, out of order: the outage ends at the first frame after it
        change(a, 'on', T + 5 * MIN), change(a, 'off', T), change(a, 'on', T - MIN), change(a, 'on', T + 2 * MIN),
        // b: gasps and nothing after: open
        change(b, 'off', T), change(b, 'off', T + MIN),
        // c: only communication: no outage
        change(c, 'on', T),
        { deviceId: c, archive: 'state-relay', code: 'relay', value: 'off', at: T },
      ]);
      const list = async (i: number) => (await deviceOutages(t.db, p, devices[i]!.id, { limit: 10, offset: 0 })).items;
      const iso = (ms: number) => new Date(ms).toISOString();
      assert.deepEqual(await list(0), [{ startedAt: iso(T), startedBy: 'power-down-push', endedAt: iso(T + 2 * MIN), endedBy: 'communication' }]);
      assert.deepEqual(await list(1), [{ startedAt: iso(T), startedBy: 'power-down-push', endedAt: null, endedBy: null }]);
      assert.deepEqual(await list(2), []);
      // b: a replayed frame of before the gasp closes nothing; the next batch's frame does
      await applyOutageStates(t.db, [change(b, 'on', T - MIN)]);
      assert.equal((await list(1))[0]!.endedAt, null);
      await applyOutageStates(t.db, [change(b, 'on', T + 10 * MIN), change(b, 'on', T + 11 * MIN)]);
      assert.deepEqual(await list(1), [{ startedAt: iso(T), startedBy: 'power-down-push', endedAt: iso(T + 10 * MIN), endedBy: 'communication' }]);
      // by device id (CENC): one open at a time
      assert.equal(await openOutage(t.db, devices[2]!.id, T + 20 * MIN, 'last-gasp'), true);
      assert.equal(await openOutage(t.db, devices[2]!.id, T + 21 * MIN, 'last-gasp'), false);
      assert.equal(await closeOutage(t.db, devices[2]!.id, T + 19 * MIN, 'connected'), false, 'not before it started');
      assert.equal(await closeOutage(t.db, devices[2]!.id, T + 25 * MIN, 'connected'), true);
      assert.deepEqual(await list(2), [{ startedAt: iso(T + 20 * MIN), startedBy: 'last-gasp', endedAt: iso(T + 25 * MIN), endedBy: 'connected' }]);
      assert.deepEqual((await deviceOutages(t.db, p, devices[0]!.id, { from: iso(T + MIN), limit: 10, offset: 0 })).total, 0);
    });
  });
}
