/** Journal event code names: the SPODES (GOST R 58940-2020 appendix D) and IDIS tables, "unknown" for the rest. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EVENT_CODE_TABLES, UNKNOWN_EVENT, eventName } from './event-codes.js';

test('SPODES codes are named per journal as the standard numbers them', () => {
  // The entries of seed 003 figure 124 (data correction journal of a CE308).
  assert.equal(eventName('spodes-data-correction', 70), 'push (initiative) flags cleared');
  assert.equal(eventName('spodes-data-correction', 8), 'tariff calendar activation date changed');
  assert.equal(eventName('spodes-data-correction', 5), 'tariff calendar season profile changed');
  assert.deepEqual([1, 2, 3, 4].map((c) => eventName('spodes-power', c)), ['power off', 'power on', 'consumer disconnected remotely', 'consumer connected remotely']);
  assert.deepEqual([5, 6, 25, 28].map((c) => eventName('spodes-voltage', c)), ['L3 voltage lost', 'L3 voltage restored', 'wrong phase sequence: start', 'voltage restored after interruption']);
  assert.deepEqual([37, 38].map((c) => eventName('spodes-current', c)), ['current with the load relay open: start', 'current with the load relay open: end']);
  assert.deepEqual([4, 19].map((c) => eventName('spodes-self-diagnostics', c)), ['computing unit error', 'computing unit ok']);
  // Every table numbers its codes from 1 without holes (the standard's tables are dense).
  for (const [name, table] of Object.entries(EVENT_CODE_TABLES).filter(([n]) => n.startsWith('spodes-'))) {
    const codes = Object.keys(table).map(Number).sort((a, b) => a - b);
    assert.deepEqual(codes, codes.map((_, i) => i + 1), name);
  }
  assert.deepEqual(['voltage', 'current', 'power', 'data-correction', 'external-impact', 'communication', 'access-control', 'self-diagnostics']
    .map((t) => Object.keys(EVENT_CODE_TABLES[`spodes-${t}`]!).length), [28, 38, 18, 86, 4, 2, 2, 19]);
});

test('a code no table names keeps its number and says unknown', () => {
  assert.equal(UNKNOWN_EVENT, 'unknown');
  assert.equal(eventName('spodes-communication', 3), 'unknown');
  assert.equal(eventName('no-such-table', 1), 'unknown');
  assert.equal(eventName(null, 1), 'unknown');
});
