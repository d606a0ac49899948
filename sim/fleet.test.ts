import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_FLEET, Fleet } from './fleet.js';
import { faultsFor } from './faults.js';

test('keys derive from the master seed and serial; export lists every meter', () => {
  const a = new Fleet({ ...DEFAULT_FLEET, meters: 3 });
  const b = new Fleet({ ...DEFAULT_FLEET, meters: 3 });
  const c = new Fleet({ ...DEFAULT_FLEET, meters: 3, masterSeed: 'other' });
  assert.deepEqual(a.keys(1), b.keys(1));
  assert.notDeepEqual(a.keys(1).blockCipherKey, c.keys(1).blockCipherKey);
  assert.notDeepEqual(a.keys(1).blockCipherKey, a.keys(2).blockCipherKey);
  assert.match(a.keys(0).password, /^\d{8}$/);
  const csv = a.exportKeys('csv', (i) => `port ${i}`).trim().split('\n');
  assert.equal(csv.length, 4);
  assert.ok(csv[2]!.startsWith('30800002,CE308,port 1,'));
  assert.equal(JSON.parse(a.exportKeys('json', String)).length, 3);
  assert.equal(a.indexOfSerial('30800003'), 2);
  assert.equal(a.indexOfSerial('30800004'), -1);
});

test('kept keys are the derived ones, also after older meters were dropped from the cache', () => {
  const a = new Fleet({ ...DEFAULT_FLEET, meters: 6000 });
  const first = structuredClone(a.keys(5));
  for (let i = 0; i < 6000; i++) a.keys(i); // more meters than are kept: meter 5 is derived again
  const fresh = new Fleet({ ...DEFAULT_FLEET, meters: 6000 });
  assert.deepEqual(a.keys(5), first);
  assert.deepEqual(a.keys(5999), fresh.keys(5999));
  assert.equal(a.keys(5999), a.keys(5999)); // kept: the same object
});

test('invocation counters survive a restart through the state file', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'sim-')), 'state.json');
  const a = new Fleet({ ...DEFAULT_FLEET, meters: 3, stateFile: file });
  a.counters[1] = 4242;
  a.saveState();
  const b = new Fleet({ ...DEFAULT_FLEET, meters: 3, stateFile: file });
  assert.deepEqual([...b.counters], [0, 4242, 0]);
});

test('fault rules pick a stable share of the fleet or listed serials; wrong keys differ', () => {
  const rules = [{ share: 0.25, latencyMs: 100 }, { serials: ['30800002'], silent: true }];
  const serials = Array.from({ length: 4000 }, (_, i) => String(30800001 + i));
  const slow = serials.filter((s) => faultsFor(rules, s).latencyMs === 100).length;
  assert.ok(slow > 850 && slow < 1150, `${slow} of 4000`);
  assert.deepEqual(faultsFor(rules, '30800002').silent, true);
  assert.deepEqual(faultsFor(rules, '30800003').silent, false);
  const f = new Fleet({ ...DEFAULT_FLEET, meters: 2, faults: [{ serials: ['30800002'], wrongKeys: true }] });
  assert.deepEqual(f.meterKeys(0), f.keys(0));
  assert.notDeepEqual(f.meterKeys(1).authenticationKey, f.keys(1).authenticationKey);
});
