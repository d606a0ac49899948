/**
 * The devices dimension: the registry's devices (both registry engines) copied into chDB's `devices_dim`, the
 * `devices` dictionary answering by device_id, a copy only when the registry changed, removals and renames
 * carried over.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, openTestDb, type TestDb } from '../../registry/testing.js';
import { createDevice, createProject } from '../../registry/project-data.js';
import { testWarehouse } from './testing.js';
import { DevicesDimension } from './devices-dim.js';

const warehouse = testWarehouse('devices-dim');

for (const engine of ENGINES) {
  describe(`devices_dim from the registry (${engine})`, () => {
    let t: TestDb;
    let projectId: string;
    before(async () => {
      t = await openTestDb(engine);
      projectId = String((await createProject(t.db, { name: `Dim ${engine}`, timeZone: 'Europe/Berlin' }, null)).id);
    });
    after(() => t.drop());

    it('copies serial, project, group, profile and channel kind; the dictionary names a device by its id', async () => {
      const d = await createDevice(t.db, projectId, { serialNumber: '00123456', type: 'CE308' });
      await createDevice(t.db, projectId, { serialNumber: '00999999', type: 'CE207', status: 'STOCK' });
      const ch = await t.db.query<{ id: string }>(`INSERT INTO channels (project_id, name, kind) VALUES ($1, 'tcp', 'TCP'), ($1, 'cenc', 'CENC') RETURNING id`, [projectId]);
      const pr = await t.db.query<{ id: string }>(`INSERT INTO protocols (project_id, name, kind) VALUES ($1, 'dlms', 'DLMS') RETURNING id`, [projectId]);
      // The preferred line (higher priority) is the CENC one; the disabled line is left out.
      await t.db.query(
        `INSERT INTO comm_lines (project_id, device_id, channel_id, protocol_id, profile_id, priority, enabled)
         VALUES ($1, $2, $3, $5, 'DL_CE_308', 1, true), ($1, $2, $4, $5, 'DL_CE_308', 5, true), ($1, $2, $3, $5, 'DL_CE_207', 9, false)`,
        [projectId, d.id, ch.rows[0]!.id, ch.rows[1]!.id, pr.rows[0]!.id],
      );
      const num = Number((await t.db.query<{ num: number }>('SELECT num FROM devices WHERE id = $1', [d.id])).rows[0]!.num);
      const dim = new DevicesDimension(t.db, warehouse);
      assert.equal(await dim.refreshIfChanged(), true);
      const rows = await warehouse.query<Record<string, unknown>>(
        `SELECT serial, device_type, status, project, project_tz, group_name, profile_id, comm_kind, channel_kinds, profile_ids, device_uuid
           FROM devices_dim WHERE project_id = {p:String} ORDER BY serial`, { p: projectId },
      );
      assert.deepEqual(rows, [
        {
          serial: '00123456', device_type: 'CE308', status: 'IN_USE', project: `Dim ${engine}`, project_tz: 'Europe/Berlin', group_name: 'Default',
          profile_id: 'DL_CE_308', comm_kind: 'CENC', channel_kinds: ['CENC', 'TCP'], profile_ids: ['DL_CE_308', 'DL_CE_308'], device_uuid: d.id,
        },
        {
          serial: '00999999', device_type: 'CE207', status: 'STOCK', project: `Dim ${engine}`, project_tz: 'Europe/Berlin', group_name: 'Default',
          profile_id: '', comm_kind: '', channel_kinds: [], profile_ids: [], device_uuid: rows[1]!.device_uuid,
        },
      ]);
      assert.deepEqual(
        await warehouse.query(`SELECT dictGet('devices', 'serial', toUInt64({n:UInt64})) AS serial, dictGet('devices', 'comm_kind', toUInt64({n:UInt64})) AS kind`, { n: num }),
        [{ serial: '00123456', kind: 'CENC' }],
      );

      assert.equal(await dim.refreshIfChanged(), false, 'an unchanged registry is not copied again');
    });

    it('carries renames and removals over on the next refresh, with no stale row left', async () => {
      const dim = new DevicesDimension(t.db, warehouse);
      await dim.refreshIfChanged();
      await t.db.query(`UPDATE device_groups SET name = 'Feeder 7', version = version + 1 WHERE project_id = $1`, [projectId]);
      await t.db.query(`DELETE FROM devices WHERE project_id = $1 AND serial_number = '00999999'`, [projectId]);
      assert.equal(await dim.refreshIfChanged(), true);
      assert.deepEqual(
        await warehouse.query(`SELECT serial, group_name FROM devices_dim WHERE project_id = {p:String}`, { p: projectId }),
        [{ serial: '00123456', group_name: 'Feeder 7' }],
      );
      // A removal and an addition between two checks (same count, same versions) is still a change.
      await t.db.query(`DELETE FROM devices WHERE project_id = $1`, [projectId]);
      await createDevice(t.db, projectId, { serialNumber: '00777777', type: 'CE308' });
      assert.equal(await dim.refreshIfChanged(), true);
      assert.deepEqual(await warehouse.query(`SELECT serial FROM devices_dim WHERE project_id = {p:String}`, { p: projectId }), [{ serial: '00777777' }]);
      assert.deepEqual(await warehouse.query(`SELECT count() AS n FROM system.tables WHERE name LIKE 'devices_dim_next%'`), [{ n: 0 }], 'the scratch table is dropped');
    });

    it('copies a registry larger than one page', async () => {
      const many = String((await createProject(t.db, { name: `Many ${engine}` }, null)).id);
      await t.db.query(
        `INSERT INTO devices (project_id, serial_number, type, group_id)
         SELECT $1, 'M' || lpad(i::text, 6, '0'), 'CE308', (SELECT id FROM device_groups WHERE project_id = $1 AND is_default) FROM generate_series(1, 20005) i`, [many],
      );
      const dim = new DevicesDimension(t.db, warehouse);
      await dim.refresh();
      assert.deepEqual(
        await warehouse.query(`SELECT count() AS n, uniqExact(device_id) AS ids FROM devices_dim WHERE project_id = {p:String}`, { p: many }),
        [{ n: 20005, ids: 20005 }],
      );
    });
  });
}

it('reports a failed check and keeps the previous copy', async () => {
  const kept = await warehouse.query('SELECT count() AS n FROM devices_dim');
  const closed = await openTestDb('pglite', { seed: false });
  await closed.drop();
  const errors: string[] = [];
  const dim = new DevicesDimension(closed.db, warehouse);
  dim.start(3600, (m) => errors.push(m));
  await dim.stop();
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /^devices_dim refresh failed: /);
  assert.deepEqual(await warehouse.query('SELECT count() AS n FROM devices_dim'), kept);
});
