import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../axdr/writer.js';
import { PushMessageType, TransportService, pushSetupAttributes, pushSetupMethods, type PushObject } from './push-setup.js';
import { assertValueError, octets, roundTrip, u16 } from './test-helpers.js';

const window = { year: 0xffff, month: 0xff, dayOfMonth: 0xff, dayOfWeek: 0xff, hour: 0, minute: 0, second: 0, hundredths: 0, deviation: -0x8000, clockStatus: 0xff };

test('Push setup version 0 attributes round trip', () => {
  const list: PushObject[] = [
    { classId: 1, logicalName: '0.0.96.1.0.255', attributeIndex: 2, dataIndex: 0 },
    { classId: 3, logicalName: '1.0.1.8.0.255', attributeIndex: 2, dataIndex: 0 },
  ];
  const bytes = roundTrip(pushSetupAttributes.pushObjectList, list);
  assert.equal(toHex(bytes).slice(0, 34), '0102' + '0204' + '120001' + '0906' + '0000600100FF' + '0F02');
  const dest = { transportService: TransportService.tcp, destination: new TextEncoder().encode('10.0.0.1:4059'), message: PushMessageType.axdrApdu };
  roundTrip(pushSetupAttributes.sendDestinationAndMethod, dest);
  roundTrip(pushSetupAttributes.communicationWindow, [{ start: window, end: { ...window, hour: 23, minute: 59 } }]);
  roundTrip(pushSetupAttributes.randomisationStartInterval, 30);
  roundTrip(pushSetupAttributes.numberOfRetries, 3);
  roundTrip(pushSetupAttributes.repetitionDelay, 120);
  assert.equal(toHex(roundTrip(pushSetupMethods.push, 0)), '0F00');
});

test('Push setup version 1–2 members', () => {
  roundTrip(pushSetupAttributes.repetitionDelay, { min: 60, exponent: 2, max: 3600 });
  const restriction = { type: 'structure' as const, value: [{ type: 'enum' as const, value: 0 }, { type: 'null-data' as const }] };
  roundTrip(pushSetupAttributes.pushObjectList, [{ classId: 7, logicalName: '1.0.99.1.0.255', attributeIndex: 2, dataIndex: 0, restriction, columns: { type: 'array', value: [] } }]);
  roundTrip(pushSetupAttributes.portReference, '0.0.25.0.0.255');
  roundTrip(pushSetupAttributes.pushClientSap, 102);
  roundTrip(pushSetupAttributes.pushProtectionParameters, []);
  roundTrip(pushSetupAttributes.pushOperationMethod, 1);
  roundTrip(pushSetupAttributes.lastConfirmationDateTime, { ...window, year: 2025, month: 1, dayOfMonth: 2, dayOfWeek: 4, deviation: 0, clockStatus: 0 });
  roundTrip(pushSetupMethods.reset, 0);
});

test('wrong shapes name the Push setup attribute', () => {
  assertValueError(() => pushSetupAttributes.pushObjectList.decode({ type: 'array', value: [{ type: 'structure', value: [u16(1), octets(0, 0, 96, 1, 0, 255)] }] }), 'Push setup.push_object_list[0]', 'structure of 4..6');
  assertValueError(() => pushSetupAttributes.sendDestinationAndMethod.decode({ type: 'structure', value: [{ type: 'enum', value: 0 }, { type: 'visible-string', value: 'x' }, { type: 'enum', value: 0 }] }), 'send_destination_and_method.destination');
  assertValueError(() => pushSetupAttributes.repetitionDelay.decode({ type: 'double-long-unsigned', value: 5 }), 'Push setup.repetition_delay', 'long-unsigned');
  assertValueError(() => pushSetupAttributes.pushObjectList.encode([{ classId: 1, logicalName: '0.0.96.1.0.255', attributeIndex: 2, dataIndex: 0, columns: { type: 'array', value: [] } }]), 'restriction_element');
});
