import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../axdr/writer.js';
import { dataAttributes } from './data.js';
import { ScriptService, scriptTableAttributes, scriptTableMethods } from './script-table.js';
import { assertValueError, roundTrip, u16 } from './test-helpers.js';

test('Script table scripts and execute round trip', () => {
  const scripts = [
    {
      id: 1,
      actions: [
        { serviceId: ScriptService.executeMethod, classId: 70, logicalName: '0.0.96.3.10.255', index: 1, parameter: { type: 'integer' as const, value: 0 } },
        { serviceId: ScriptService.writeAttribute, classId: 1, logicalName: '0.0.96.1.0.255', index: 2, parameter: { type: 'unsigned' as const, value: 5 } },
      ],
    },
  ];
  roundTrip(scriptTableAttributes.scripts, scripts);
  assert.equal(toHex(roundTrip(scriptTableMethods.execute, 1)), '120001');
  assertValueError(() => scriptTableAttributes.scripts.decode({ type: 'array', value: [{ type: 'structure', value: [u16(1), u16(2)] }] }), 'Script table.scripts[0].actions', 'expected array');
  assertValueError(() => scriptTableMethods.execute.decode({ type: 'unsigned', value: 1 }), 'Script table.execute');
});

test('Data value passes any type through', () => {
  roundTrip(dataAttributes.logicalName, '0.0.96.1.0.255');
  roundTrip(dataAttributes.value, { type: 'visible-string', value: '0123456789' });
  roundTrip(dataAttributes.value, { type: 'structure', value: [{ type: 'boolean', value: true }] });
  assertValueError(() => dataAttributes.logicalName.decode({ type: 'visible-string', value: '0.0.96.1.0.255' }), 'Data.logical_name');
});
