/**
 * A running HES keeps ClickHouse's devices_dim and `devices` dictionary in step with its registry: a device added
 * through the registry, then moved to a renamed group, shows in SQL after the next refresh
 * (clickhouse.devicesRefreshSeconds).
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/index.js';
import { createDevice, createProject } from '../registry/project-data.js';
import { poll } from './hes-process.js';
import { startHes, type RunningHes } from './start.js';

const dir = mkdtempSync(join(tmpdir(), 'hes-devices-dim-'));
let hes: RunningHes;

before(async () => {
  hes = await startHes(loadConfig({ env: {}, overrides: { dataDir: dir, httpPort: 0, httpHost: '127.0.0.1', logLevel: 'silent', decoderThreads: 1, clickhouse: { devicesRefreshSeconds: 1 } } }));
});
after(async () => {
  await hes?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('copies the registry\'s devices into devices_dim when they change', { timeout: 120_000 }, async () => {
  const db = hes.registry.db;
  const projectId = String((await createProject(db, { name: 'Dim' }, null)).id);
  const device = await createDevice(db, projectId, { serialNumber: '0042', type: 'CE308' });
  const num = (await db.query<{ num: number }>('SELECT num FROM devices WHERE id = $1', [device.id])).rows[0]!.num;
  const lookup = () => hes.data.engine.query<{ serial: string; group: string }>(
    `SELECT dictGetOrDefault('devices', 'serial', toUInt64({n:UInt64}), '') AS serial, dictGetOrDefault('devices', 'group_name', toUInt64({n:UInt64}), '') AS group`, { n: num },
  );
  await poll(lookup, (r) => r[0]?.serial === '0042', 60_000, 200, 'the new device in the devices dictionary');
  await db.query(`UPDATE device_groups SET name = 'Substation 3', version = version + 1 WHERE project_id = $1`, [projectId]);
  const renamed = await poll(lookup, (r) => r[0]?.group === 'Substation 3', 60_000, 200, 'the renamed group in the devices dictionary');
  assert.deepEqual(renamed, [{ serial: '0042', group: 'Substation 3' }]);
});
