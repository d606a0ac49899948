import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeDataBytes } from '../../../axdr/data.js';
import { DlmsError } from '../../../errors.js';
import { formatObis } from '../../../obis.js';
import { decodeApdu, describeApdu } from '../../index.js';
import { roundTripHex } from '../../testing.js';
import { fromHex } from '../../../axdr/writer.js';
import { parseLongInvokeIdAndPriority } from '../enums.js';
import { DATA_NOTIFICATION_FIXTURES as F } from './fixtures.js';

describe('DataNotification', () => {
  it('decodes a push without date-time (published)', () => {
    const a = roundTripHex(F.withoutDateTime);
    if (a.type !== 'data-notification') return assert.fail(a.type);
    assert.equal(a.longInvokeIdAndPriority, 0x1db);
    assert.equal(a.dateTime, undefined);
    assert.ok(a.body.type === 'octet-string' && a.body.value.length === 34);
  });

  it('decodes a push with date-time and a structure body', () => {
    const a = roundTripHex(F.withDateTime);
    if (a.type !== 'data-notification' || !a.dateTime) return assert.fail('expected a date-time');
    assert.deepEqual(parseLongInvokeIdAndPriority(a.longInvokeIdAndPriority), {
      invokeId: 8796687,
      selfDescriptive: false,
      breakOnError: false,
      confirmed: false,
      high: false,
    });
    assert.deepEqual(
      [a.dateTime.year, a.dateTime.month, a.dateTime.dayOfMonth, a.dateTime.hour, a.dateTime.minute, a.dateTime.second],
      [2022, 9, 19, 12, 51, 20],
    );
    assert.equal(a.dateTime.deviation, -0x8000);
    if (a.body.type !== 'structure' || a.body.value[0]?.type !== 'octet-string') return assert.fail('expected structure');
    assert.equal(formatObis(a.body.value[0].value), '0.8.25.9.0.255');
    assert.equal(describeApdu(a), 'data-notification id 8796687 2022-09-19T12:51:20 structure(2)');
  });

  it('rejects a date-time that is neither absent nor 12 bytes', () => {
    assert.throws(
      () => decodeApdu(fromHex('0F 00 00 00 01 05 07 E6 09 13 01 00')),
      (e) => e instanceof DlmsError && e.code === 'DLMS_ERR_LENGTH' && e.offset === 5,
    );
  });

  it('keeps the body decodable as A-XDR Data on its own', () => {
    const b = fromHex(F.withDateTime).subarray(18);
    assert.equal(decodeDataBytes(b).type, 'structure');
  });
});
