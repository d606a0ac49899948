/**
 * The shipped profiles validate against the published schema; seeding at each start adds a version when a
 * release changes a shipped profile, none when it does not, and never touches a custom profile.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ENGINES, openTestDb, type TestDb } from './testing.js';
import { createProfile, loadProfiles, profileProblems, profileVersions, seedBuiltinProfiles } from './profiles.js';

describe('shipped device profiles', () => {
  it('all follow schemas/device-profile.schema.json, as does the worked example of docs/profiles.md', () => {
    const profiles = loadProfiles();
    assert.equal(profiles.length, 12);
    for (const p of profiles) assert.deepEqual(profileProblems(p), [], p.id);
    const doc = readFileSync(new URL('../../docs/profiles.md', import.meta.url), 'utf8');
    const example = [...doc.matchAll(/ {3}```json\n([\s\S]*?)\n {3}```/g)].map((m) => m[1]!.replace(/^ {3}/gm, '')).find((b) => b.includes('"id": "ACME_X3"'));
    assert.ok(example, 'the example is in docs/profiles.md');
    assert.deepEqual(profileProblems(JSON.parse(example)), []);
    // The pushes section: a Push Setup and its object list; a wrong trigger and an unknown element field are named.
    const pushes = [{
      obis: '0.0.25.9.0.255', trigger: 'interval', service: 'tcp', window: [{ start: '00:00', end: '23:59' }],
      objects: [{ classId: 40, obis: '0.0.25.9.0.255', attribute: 1 }, { classId: 3, obis: '1.0.1.8.0.255', attribute: 2, archive: 'current', scaler: 0, unit: 'Wh' }],
    }];
    assert.deepEqual(profileProblems({ ...JSON.parse(example), pushes, eventSeverities: { 'power down': 'critical' } }), []);
    const badPush = [{ ...pushes[0], trigger: 'hourly', objects: [{ ...pushes[0]!.objects[1], colour: 1 }] }];
    assert.deepEqual(profileProblems({ ...JSON.parse(example), pushes: badPush }).map((p) => p.field).sort(), ['body.pushes[0].objects[0].colour', 'body.pushes[0].trigger']);
    // The lorawan section: an unknown codec, a TS013 codec without its script and a channel without OBIS are named.
    const lorawan = { codecs: [{ codec: 'lua', fPorts: [2] }, { codec: 'ts013' }, { codec: 'cayenne-lpp', script: 'x' }], channels: [{ channel: 3 }] };
    assert.deepEqual(profileProblems({ ...JSON.parse(example), protocol: 'LORAWAN', lorawan }).map((p) => p.field).sort(), [
      'body.lorawan.channels[0].obis', 'body.lorawan.codecs[0].codec', 'body.lorawan.codecs[1].script', 'body.lorawan.codecs[2]',
    ]);
    // A TS013 codec that does not load is refused with the reason; one that loads, with its values, is accepted.
    const ts013 = (script: string) => ({ codecs: [{ codec: 'ts013', fPorts: [10], script }], values: [{ path: 'meters[0].volume', obis: '8.0.1.0.0.255', unit: 'm³', scaler: -3 }] });
    assert.deepEqual(profileProblems({ ...JSON.parse(example), protocol: 'LORAWAN', lorawan: ts013('function decodeUplink( {') }).map((p) => [p.field, p.message.slice(0, 28)]), [
      ['body.lorawan.codecs[0].script', 'the codec is not JavaScript:'],
    ]);
    assert.deepEqual(profileProblems({ ...JSON.parse(example), protocol: 'LORAWAN', lorawan: ts013('function decodeUplink(i) { return { data: {} }; }') }), []);
    assert.deepEqual(profileProblems({ ...JSON.parse(example), protocol: 'LORAWAN', lorawan: { ...ts013('function decodeUplink() {}'), values: [{ path: 'a..b', obis: '8.0.1.0.0.255' }] } }).map((p) => p.field), ['body.lorawan.values[0].path']);
    // "schema" would hide the profile behind GET /device-profiles/schema.
    assert.deepEqual(profileProblems({ ...JSON.parse(example), id: 'schema' }).map((p) => p.field), ['body.id']);
  });
});

for (const engine of ENGINES) {
  describe(`seeding device profiles (${engine})`, () => {
    let t: TestDb;
    before(async () => {
      t = await openTestDb(engine);
    });
    after(() => t.drop());

    it('adds a version for a changed shipped profile only, and keeps custom profiles', async () => {
      const shipped = loadProfiles();
      const gas = shipped.find((p) => p.id === 'MBUS_GAS')!;
      await seedBuiltinProfiles(t.db, shipped);
      assert.deepEqual((await profileVersions(t.db, 'MBUS_GAS')).map((v) => v.version), [1], 'unchanged: no new version');
      const changed = { ...gas, name: 'Gas meter (next release)' };
      await createProfile(t.db, { ...gas, id: 'NEXT_RELEASE_ID', name: 'custom' }, 'admin');
      await seedBuiltinProfiles(t.db, [changed, { ...gas, id: 'NEXT_RELEASE_ID', name: 'shipped later' }]);
      const versions = await profileVersions(t.db, 'MBUS_GAS');
      assert.deepEqual(versions.map((v) => [v.version, (v.body as { name: string }).name]), [[1, gas.name], [2, 'Gas meter (next release)']]);
      const head = await t.db.query<{ name: string; version: number; builtin: boolean }>(`SELECT name, version, builtin FROM device_profiles WHERE id = ANY($1) ORDER BY id`, [['MBUS_GAS', 'NEXT_RELEASE_ID']]);
      assert.deepEqual(head.rows, [{ name: 'Gas meter (next release)', version: 2, builtin: true }, { name: 'custom', version: 1, builtin: false }]);
    });
  });
}
