import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DlmsError } from '../../../errors.js';
import { fromHex } from '../../../axdr/writer.js';
import { decodeApdu, describeApdu } from '../../index.js';
import { roundTripHex } from '../../testing.js';
import { CONFIRMED_SERVICE_ERROR_FIXTURES as F } from './fixtures.js';

describe('ConfirmedServiceError', () => {
  it('names the service, the error choice and its enum value', () => {
    const a = roundTripHex(F.dlmsVersionTooLow);
    assert.deepEqual(a, { type: 'confirmed-service-error', service: 1, error: 6, value: 1 });
    assert.equal(describeApdu(a), 'confirmed-service-error initiate-error: initiate/dlms-version-too-low');
    assert.equal(describeApdu(roundTripHex(F.incompatibleConformance)), 'confirmed-service-error initiate-error: initiate/incompatible-conformance');
    assert.equal(describeApdu(roundTripHex(F.readAccessViolated)), 'confirmed-service-error read: access/object-access-violated');
  });

  it('rejects unknown service and ServiceError choices at their offsets', () => {
    assert.throws(
      () => decodeApdu(fromHex('0E 14 06 01')),
      (e) => e instanceof DlmsError && e.code === 'DLMS_ERR_TAG' && e.offset === 1,
    );
    assert.throws(
      () => decodeApdu(fromHex('0E 01 0B 00')),
      (e) => e instanceof DlmsError && e.code === 'DLMS_ERR_TAG' && e.offset === 2,
    );
  });
});
