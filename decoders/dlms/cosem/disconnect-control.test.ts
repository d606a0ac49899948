import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../axdr/writer.js';
import {
  CONTROL_MODES,
  ControlState,
  RelayLock,
  decodeRelayLock,
  disconnectControlAttributes,
  disconnectControlMethods,
  encodeRelayLock,
  nextControlState,
  outputStateOf,
  remoteControlAllowed,
  type ControlMode,
} from './disconnect-control.js';
import { assertValueError, roundTrip } from './test-helpers.js';

const { disconnected, connected, readyForReconnection } = ControlState;

test('Disconnect control attributes and methods round trip', () => {
  assert.equal(toHex(roundTrip(disconnectControlAttributes.outputState, true)), '0301');
  assert.equal(toHex(roundTrip(disconnectControlAttributes.controlState, readyForReconnection)), '1602');
  assert.equal(toHex(roundTrip(disconnectControlAttributes.controlMode, 4)), '1604');
  // remote_disconnect / remote_reconnect carry integer(0)
  assert.equal(toHex(roundTrip(disconnectControlMethods.remoteDisconnect, 0)), '0F00');
  assert.equal(toHex(roundTrip(disconnectControlMethods.remoteReconnect, 0)), '0F00');
  assert.equal(disconnectControlMethods.remoteDisconnect.id, 1);
  assert.equal(disconnectControlMethods.remoteReconnect.id, 2);
});

test('out-of-range states and wrong types name the attribute', () => {
  assertValueError(() => disconnectControlAttributes.controlState.decode({ type: 'enum', value: 3 }), 'Disconnect control.control_state', '3');
  assertValueError(() => disconnectControlAttributes.controlMode.encode(7 as ControlMode), 'Disconnect control.control_mode', '7');
  assertValueError(() => disconnectControlAttributes.outputState.decode({ type: 'unsigned', value: 1 }), 'Disconnect control.output_state', 'boolean');
});

test('remote_reconnect goes straight to connected only in modes 2 and 4', () => {
  for (const mode of [1, 3, 5, 6] as const) assert.equal(nextControlState(mode, disconnected, 'remote_reconnect'), readyForReconnection, `mode ${mode}`);
  for (const mode of [2, 4] as const) assert.equal(nextControlState(mode, disconnected, 'remote_reconnect'), connected, `mode ${mode}`);
});

test('control modes allow exactly their triggers', () => {
  assert.equal(CONTROL_MODES.length, 7);
  for (const t of ['remote_disconnect', 'remote_reconnect', 'manual_disconnect', 'local_disconnect'] as const) {
    assert.equal(nextControlState(0, connected, t), null, `mode 0 ${t}`);
  }
  for (const mode of [1, 2, 3, 4, 5, 6] as const) {
    assert.equal(nextControlState(mode, connected, 'remote_disconnect'), disconnected);
    assert.equal(nextControlState(mode, readyForReconnection, 'remote_disconnect'), disconnected);
    assert.equal(nextControlState(mode, readyForReconnection, 'manual_reconnect'), connected);
    assert.equal(nextControlState(mode, connected, 'local_disconnect'), readyForReconnection);
  }
  // manual disconnection only in 1, 2, 5; local reconnection only in 5, 6
  assert.deepEqual(([1, 2, 3, 4, 5, 6] as const).filter((m) => nextControlState(m, connected, 'manual_disconnect') !== null), [1, 2, 5]);
  assert.deepEqual(([1, 2, 3, 4, 5, 6] as const).filter((m) => nextControlState(m, readyForReconnection, 'local_reconnect') !== null), [5, 6]);
  assert.equal(nextControlState(1, connected, 'remote_reconnect'), null);
  assert.equal(outputStateOf(connected), true);
  assert.equal(outputStateOf(readyForReconnection), false);
});

test('relay lock states 0–3 of the production manual (seed 003 §2.2.10)', () => {
  assert.deepEqual(decodeRelayLock({ type: 'unsigned', value: 0 }), { lock: 0, name: 'auto', remoteControlAllowed: true, forcedOutput: null });
  assert.equal(decodeRelayLock({ type: 'enum', value: 1 })?.name, 'locked');
  assert.deepEqual(decodeRelayLock({ type: 'unsigned', value: 2 })?.forcedOutput, false);
  assert.deepEqual(decodeRelayLock({ type: 'unsigned', value: 3 })?.forcedOutput, true);
  assert.equal(decodeRelayLock({ type: 'null-data' }), null);
  assert.equal(remoteControlAllowed(decodeRelayLock({ type: 'unsigned', value: 0 })), true);
  for (const v of [1, 2, 3]) assert.equal(remoteControlAllowed(decodeRelayLock({ type: 'unsigned', value: v })), false);
  assert.equal(remoteControlAllowed(null), false);
  assert.deepEqual(encodeRelayLock(RelayLock.forcedOn), { type: 'unsigned', value: 3 });
  assert.deepEqual(encodeRelayLock(null), { type: 'null-data' });
  assertValueError(() => decodeRelayLock({ type: 'unsigned', value: 4 }, 'load_relay_lock'), 'load_relay_lock', '4');
  assertValueError(() => decodeRelayLock({ type: 'visible-string', value: '-' }), 'relay_lock', 'visible-string');
});
