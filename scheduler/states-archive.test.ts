/**
 * The "State" state archive (state-state, seed 003 §2.2.29): the error and alarm registers the device
 * profiles list, read by the DLMS reader from the simulator and stored only when they change.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openTestDb, type TestDb } from '../registry/testing.js';
import { SecretBox } from '../registry/crypto.js';
import { createProject } from '../registry/project-data.js';
import { loadProfiles } from '../registry/profiles.js';
import { startSimMeters, type SimMeters } from '../ingest/testing/sim-meters.js';
import { registerFleet } from '../cli/demo.js';
import { journalEvents } from '../sim/model/events.js';
import { loadProfile } from '../sim/profiles/profile.js';
import { RegistryInvocationCounterStore } from './counters.js';
import { DlmsDeviceReader } from './dlms-reader.js';
import type { DeviceTarget } from './reader.js';
import { commLines } from './scheduler.js';
import { deviceStates, saveStates } from './states.js';

const DAY = 86_400_000;
const never = new AbortController().signal;

describe('state-state: error and alarm registers', () => {
  let t: TestDb, sim: SimMeters, projectId: string, deviceId: string, reader: DlmsDeviceReader;
  let simNow = Date.UTC(2025, 2, 10, 9, 0, 0);

  before(async () => {
    t = await openTestDb('pglite');
    const box = new SecretBox(Buffer.alloc(32, 5));
    sim = await startSimMeters({ framing: 'wrapper', fleet: { meters: 1, profile: 'ce308', faults: [{ outagesPerDay: 0.3, clockInvalid: true }] }, now: () => simNow });
    projectId = String((await createProject(t.db, { name: 'States' }, null)).id);
    [deviceId] = (await registerFleet(t.db, box, projectId, sim.fleet, '127.0.0.1', sim.port)) as [string];
    reader = new DlmsDeviceReader({ db: t.db, box, counters: new RegistryInvocationCounterStore(t.db) });
  });
  after(async () => {
    await sim.close();
    await t.drop();
  });

  it('names both registers in the CE208, CE308 and IDIS device profiles, as the simulator serves them', () => {
    const profiles = new Map(loadProfiles().map((p) => [p.id, p]));
    for (const [id, simName] of [['DL_CE_208', 'ce208'], ['DL_CE_308', 'ce308'], ['DL_IDIS', 'idis']] as const) {
      const objects = loadProfile(simName).objects;
      const specs = (profiles.get(id)!.states as Record<string, unknown>)['state-state'];
      assert.deepEqual(specs, [
        { code: 'error-register', obis: objects.errorRegister, classId: 1, attribute: 2 },
        { code: 'alarm-register', obis: objects.alarmRegister, classId: 1, attribute: 2 },
      ], id);
    }
  });

  it('collects the two values and stores a change only: the same values add no history row, a raised alarm does', async () => {
    // A power failure of the meter's journal with no other power event in the day before it.
    const meter = sim.fleet.meter(0);
    const power = journalEvents(meter, meter.profile.journals.findIndex((j) => j.name === 'power'), simNow).map((e) => e.timeMs);
    const failure = power.findLast((e, i) => i > 0 && e - power[i - 1]! > DAY + 120_000);
    assert.ok(failure !== undefined, `power events: ${power.length}`);
    const [t1, t2] = [failure - 60_000, failure + 60_000];

    const d = (await t.db.query<DeviceTarget>('SELECT id, num::float8 AS num, project_id AS "projectId", serial_number AS "serialNumber", type FROM devices WHERE id = $1', [deviceId])).rows[0]!;
    const line = (await commLines(t.db, deviceId))[0]!;
    const link = await reader.open(d, line, never);
    const read = async (at: number) => {
      simNow = at;
      const out = await link.collect({ kind: 'state', archive: 'state-state' });
      assert.equal(out.status, 'ok', out.note);
      return out.records;
    };
    const history = async (code?: string) => (await deviceStates(t.db, projectId, deviceId, { archive: 'state-state', ...(code ? { code } : {}), limit: 100, offset: 0 }, true)).items;

    const first = await read(t1);
    assert.deepEqual(first, [{ code: 'error-register', value: 1 }, { code: 'alarm-register', value: 0 }], 'clock invalid; no alarm yet');
    assert.deepEqual((await saveStates(t.db, d, 'state-state', first, t1)).sort(), ['alarm-register', 'error-register']);
    const again = await read(t1 + 30_000);
    assert.deepEqual(again, first);
    assert.deepEqual(await saveStates(t.db, d, 'state-state', again, t1 + 30_000), []);
    assert.equal((await history()).length, 2, 'the unchanged read added no history row');

    const raised = await read(t2);
    assert.deepEqual(raised, [{ code: 'error-register', value: 1 }, { code: 'alarm-register', value: 1 << 2 }], 'power up alarm (bit 2)');
    assert.deepEqual(await saveStates(t.db, d, 'state-state', raised, t2), ['alarm-register']);
    assert.deepEqual((await history('alarm-register')).map((h) => [h.value, h.changedAt]), [[4, new Date(t2).toISOString()], [0, new Date(t1).toISOString()]]);
    assert.deepEqual((await history('error-register')).map((h) => h.changedAt), [new Date(t1).toISOString()]);
    const current = await deviceStates(t.db, projectId, deviceId, { archive: 'state-state', limit: 100, offset: 0 }, false);
    assert.deepEqual(current.items.map((s) => [s.code, s.value, s.readAt]), [['alarm-register', 4, new Date(t2).toISOString()], ['error-register', 1, new Date(t2).toISOString()]]);
    await link.close();
  });
});
