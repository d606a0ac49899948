import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex } from '../axdr/writer.js';
import { InvocationCounter, MAX_INVOCATION_COUNTER, ReplayGuard } from './counters.js';
import { assertDlmsError } from '../testkit.js';

const METER_A = fromHex('4D4D4D0000BC614E');
const METER_B = fromHex('4D4D4D0000000001');

test('sender counter increases, persists and refuses to wrap', () => {
  const c = new InvocationCounter();
  assert.equal(c.next(), 0);
  assert.equal(c.next(), 1);
  assert.deepEqual(c.exportState(), { next: 2 });
  const restored = new InvocationCounter(c.exportState());
  assert.equal(restored.value, 2);
  assert.equal(restored.next(), 2);
  const last = new InvocationCounter({ next: MAX_INVOCATION_COUNTER });
  assert.equal(last.next(), 0xffffffff);
  assertDlmsError(() => last.next(), 'DLMS_ERR_SECURITY');
  assertDlmsError(() => last.next(), 'DLMS_ERR_SECURITY');
  assert.deepEqual(last.exportState(), { next: 2 ** 32 });
  for (const bad of [-1, 1.5, 2 ** 32 + 1, Number.NaN]) assertDlmsError(() => new InvocationCounter({ next: bad }), 'DLMS_ERR_VALUE');
});

test('replay guard accepts only strictly increasing counters per peer and key', () => {
  const g = new ReplayGuard();
  g.accept(METER_A, 'global-unicast', 5);
  assertDlmsError(() => g.accept(METER_A, 'global-unicast', 5), 'DLMS_ERR_REPLAY');
  assertDlmsError(() => g.check(METER_A, 'global-unicast', 4), 'DLMS_ERR_REPLAY');
  g.accept(METER_A, 'global-unicast', 6);
  // Another key of the same peer, and another peer, have their own counters.
  g.accept(METER_A, 'dedicated', 0);
  g.accept(METER_B, 'global-unicast', 1);
  assert.equal(g.last(METER_A, 'global-unicast'), 6);
  assert.equal(g.last(METER_B, 'dedicated'), undefined);
  g.accept(METER_A, 'global-unicast', MAX_INVOCATION_COUNTER);
  assertDlmsError(() => g.accept(METER_A, 'global-unicast', MAX_INVOCATION_COUNTER), 'DLMS_ERR_REPLAY');
  // A renewed key starts afresh.
  g.reset(METER_A, 'global-unicast');
  g.accept(METER_A, 'global-unicast', 0);
});

test('replay guard state is exported and imported, and checked on import', () => {
  const g = new ReplayGuard();
  g.accept(METER_A, 'global-unicast', 41);
  g.accept(METER_B, 'global-broadcast', 7);
  const state = JSON.parse(JSON.stringify(g.exportState()));
  assert.deepEqual(state, {
    entries: [
      { systemTitle: '4D4D4D0000BC614E', key: 'global-unicast', last: 41 },
      { systemTitle: '4D4D4D0000000001', key: 'global-broadcast', last: 7 },
    ],
  });
  const restored = new ReplayGuard(state);
  assertDlmsError(() => restored.accept(METER_A, 'global-unicast', 41), 'DLMS_ERR_REPLAY');
  restored.accept(METER_A, 'global-unicast', 42);
  for (const bad of [
    {},
    { entries: [{ systemTitle: 'XYZ', key: 'global-unicast', last: 1 }] },
    { entries: [{ systemTitle: '4D4D4D0000BC614E', key: 'global-unicast', last: -1 }] },
    { entries: [{ systemTitle: '4D4D4D0000BC614E', key: 'global-unicast', last: 2 ** 32 }] },
    { entries: [null] },
  ]) {
    assertDlmsError(() => new ReplayGuard(bad as never), 'DLMS_ERR_VALUE');
  }
});
