import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClassId, COSEM_CLASSES, attributeName, attributeSpec, classSpec, className, methodName, methodSpec } from './classes.js';

test('every class of BRIEF §5 is in the table with its current version', () => {
  const expected: [number, string, number][] = [
    [1, 'Data', 0],
    [3, 'Register', 0],
    [4, 'Extended register', 0],
    [5, 'Demand register', 0],
    [7, 'Profile generic', 1],
    [8, 'Clock', 0],
    [9, 'Script table', 0],
    [11, 'Special days table', 0],
    [15, 'Association LN', 3],
    [18, 'Image transfer', 0],
    [20, 'Activity calendar', 0],
    [40, 'Push setup', 2],
    [64, 'Security setup', 1],
    [70, 'Disconnect control', 0],
    [71, 'Limiter', 0],
  ];
  for (const [id, name, version] of expected) {
    assert.equal(className(id), name);
    assert.equal(classSpec(id)?.version, version, name);
  }
  for (const id of [6, 12, 22, 23, 41, 45]) assert.ok(classSpec(id), `class ${id}`);
});

test('attribute ids are unique, start at logical_name and are contiguous except where the Blue Book skips', () => {
  for (const c of COSEM_CLASSES.values()) {
    assert.deepEqual(
      c.attributes.map((a) => a.id),
      c.attributes.map((_, i) => i + 1),
      c.name,
    );
    assert.equal(c.attributes[0]!.name, 'logical_name');
    assert.equal(new Set(c.methods.map((m) => m.id)).size, c.methods.length, c.name);
  }
});

test('attributeName / methodName look up Blue Book names', () => {
  assert.equal(attributeName(ClassId.clock, 2), 'time');
  assert.equal(attributeName(ClassId.clock, 9), 'clock_base');
  assert.equal(attributeName(ClassId.register, 3), 'scaler_unit');
  assert.equal(attributeName(ClassId.demandRegister, 8), 'period');
  assert.equal(attributeName(ClassId.profileGeneric, 3), 'capture_objects');
  assert.equal(attributeName(ClassId.imageTransfer, 3), 'image_transferred_blocks_status');
  assert.equal(attributeName(ClassId.associationLn, 9), 'security_setup_reference');
  assert.equal(attributeName(ClassId.disconnectControl, 4), 'control_mode');
  assert.equal(attributeName(ClassId.limiter, 11), 'actions');
  assert.equal(methodName(ClassId.disconnectControl, 1), 'remote_disconnect');
  assert.equal(methodName(ClassId.disconnectControl, 2), 'remote_reconnect');
  assert.equal(methodName(ClassId.clock, 6), 'shift_time');
  assert.equal(methodName(ClassId.associationLn, 1), 'reply_to_HLS_authentication');
  assert.equal(methodName(ClassId.imageTransfer, 4), 'image_activate');
  assert.equal(methodName(ClassId.securitySetup, 2), 'key_transfer');
  assert.equal(methodName(ClassId.associationSn, 8), 'reply_to_HLS_authentication');
  assert.equal(methodName(ClassId.associationSn, 7), undefined);
  assert.equal(attributeName(ClassId.data, 3), undefined);
  assert.equal(attributeName(999, 1), undefined);
  assert.equal(methodName(ClassId.limiter, 1), undefined);
});

test('specs carry the expected data type, format and version of introduction', () => {
  assert.deepEqual(attributeSpec(ClassId.clock, 2), { id: 2, name: 'time', type: 'octet-string', format: 'date-time' });
  assert.equal(attributeSpec(ClassId.clock, 3)?.type, 'long');
  assert.equal(attributeSpec(ClassId.register, 2)?.type, 'CHOICE');
  assert.equal(attributeSpec(ClassId.pushSetup, 11)?.since, 2);
  assert.equal(attributeSpec(ClassId.securitySetup, 6)?.since, 1);
  assert.deepEqual(methodSpec(ClassId.specialDaysTable, 2), { id: 2, name: 'delete', param: 'long-unsigned' });
  assert.equal(methodSpec(ClassId.pushSetup, 2)?.since, 2);
});
