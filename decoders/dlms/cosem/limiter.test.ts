import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../axdr/writer.js';
import { limiterAttributes } from './limiter.js';
import { assertValueError, octets, roundTrip, u16 } from './test-helpers.js';

test('Limiter attributes round trip', () => {
  // monitored_value: Register 1.0.1.7.0.255 (active power import) attribute 2
  assert.equal(
    toHex(roundTrip(limiterAttributes.monitoredValue, { classId: 3, logicalName: '1.0.1.7.0.255', attributeIndex: 2 })),
    '0203' + '120003' + '0906' + '0100010700FF' + '0F02',
  );
  roundTrip(limiterAttributes.thresholdActive, { type: 'double-long-unsigned', value: 5000 });
  roundTrip(limiterAttributes.thresholdNormal, { type: 'double-long-unsigned', value: 5000 });
  roundTrip(limiterAttributes.thresholdEmergency, { type: 'double-long-unsigned', value: 2000 });
  roundTrip(limiterAttributes.minOverThresholdDuration, 60);
  roundTrip(limiterAttributes.minUnderThresholdDuration, 30);
  roundTrip(limiterAttributes.emergencyProfile, {
    id: 1,
    activationTime: { year: 2025, month: 7, dayOfMonth: 1, dayOfWeek: 2, hour: 18, minute: 0, second: 0, hundredths: 0, deviation: -180, clockStatus: 0 },
    duration: 7200,
  });
  roundTrip(limiterAttributes.emergencyProfileGroupIdList, [1, 2, 3]);
  roundTrip(limiterAttributes.emergencyProfileActive, false);
  roundTrip(limiterAttributes.actions, {
    overThreshold: { scriptLogicalName: '0.0.10.0.106.255', scriptSelector: 1 },
    underThreshold: { scriptLogicalName: '0.0.10.0.106.255', scriptSelector: 2 },
  });
});

test('wrong shapes name the Limiter attribute', () => {
  assertValueError(() => limiterAttributes.monitoredValue.decode({ type: 'structure', value: [u16(3), octets(1, 0, 1, 7, 0, 255), u16(2)] }), 'Limiter.monitored_value.attribute_index', 'expected integer');
  assertValueError(() => limiterAttributes.emergencyProfileGroupIdList.decode({ type: 'array', value: [u16(1), { type: 'unsigned', value: 2 }] }), 'Limiter.emergency_profile_group_id_list[1]');
  assertValueError(
    () => limiterAttributes.actions.decode({ type: 'structure', value: [{ type: 'structure', value: [octets(0, 0, 10, 0, 106, 255), u16(1)] }] }),
    'Limiter.actions',
    'structure of 2',
  );
});
