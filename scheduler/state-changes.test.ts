/** State changes the decoder pool finds in frames, stored in the state archives like the states sessions read. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, openTestDb, type TestDb } from '../registry/testing.js';
import { createDevice, createProject } from '../registry/project-data.js';
import { deviceStates, saveStateChanges } from './states.js';

for (const engine of ENGINES) {
  describe(`state changes from frames (${engine})`, () => {
    let t: TestDb;
    before(async () => {
      t = await openTestDb(engine);
    });
    after(() => t.drop());

    it('stores each device\'s changes at the frame\'s time, a repeated value as a read only; unknown devices are dropped', async () => {
      const projectId = String((await createProject(t.db, { name: 'states' }, null)).id);
      const device = await createDevice(t.db, projectId, { serialNumber: '30000003', type: 'MBUS' });
      const num = Number((await t.db.query<{ num: string }>('SELECT num FROM devices WHERE id = $1', [device.id])).rows[0]!.num);
      const at = Date.UTC(2026, 11, 7, 10, 15);
      await saveStateChanges(t.db, [
        { deviceId: num, archive: 'state-state', code: 'error-flags', value: 0, at },
        { deviceId: num, archive: 'state-state', code: 'status', value: { byte: 0, flags: [] }, at },
        { deviceId: 999_999_999, archive: 'state-state', code: 'status', value: { byte: 4, flags: ['power low'] }, at },
      ]);
      await saveStateChanges(t.db, [
        { deviceId: num, archive: 'state-state', code: 'error-flags', value: 0, at: at + 900_000 },
        { deviceId: num, archive: 'state-state', code: 'status', value: { byte: 8, flags: ['permanent error'] }, at: at + 900_000 },
      ]);
      const q = { archive: 'state-state', limit: 100, offset: 0 };
      const current = await deviceStates(t.db, projectId, String(device.id), q, false);
      assert.deepEqual(current.items.map((s) => [s.code, s.value, s.changedAt, s.readAt]), [
        ['error-flags', 0, new Date(at).toISOString(), new Date(at + 900_000).toISOString()],
        ['status', { byte: 8, flags: ['permanent error'] }, new Date(at + 900_000).toISOString(), new Date(at + 900_000).toISOString()],
      ]);
      assert.equal((await deviceStates(t.db, projectId, String(device.id), q, true)).total, 3, 'two first values and one change');
      const others = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM device_states WHERE device_id <> $1', [device.id]);
      assert.equal(others.rows[0]!.n, 0);
    });
  });
}
