import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DlmsError } from '../../../errors.js';
import { fromHex } from '../../../axdr/writer.js';
import { parseObis } from '../../../obis.js';
import { decodeApdu, describeApdu } from '../../index.js';
import { roundTripHex } from '../../testing.js';
import { EVENT_NOTIFICATION_FIXTURES as F } from './fixtures.js';

describe('EventNotification.request', () => {
  it('decodes an event without time', () => {
    const a = roundTripHex(F.withoutTime);
    assert.deepEqual(a, {
      type: 'event-notification-request',
      attribute: { classId: 1, instanceId: parseObis('0.0.96.11.0.255'), attributeId: 2 },
      value: { type: 'unsigned', value: 47 },
    });
    assert.equal(describeApdu(a), 'event-notification-request 1/0.0.96.11.0.255/2 unsigned 47');
  });

  it('decodes an event with time', () => {
    const a = roundTripHex(F.withTime);
    if (a.type !== 'event-notification-request' || !a.time) return assert.fail('expected time');
    assert.equal(a.time.deviation, -180);
    assert.equal(describeApdu(a), 'event-notification-request 2024-09-02T14:30:10.00+03:00 3/1.0.1.8.0.255/2 double-long-unsigned 1000');
  });

  it('rejects a time that is not a 12-byte date-time, at the length byte', () => {
    assert.throws(
      () => decodeApdu(fromHex('C2 01 04 00 00 00 00 00 01 00 00 60 0B 00 FF 02 11 2F')),
      (e) => e instanceof DlmsError && e.code === 'DLMS_ERR_LENGTH' && e.offset === 2,
    );
  });
});
