import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DlmsError } from '../../../errors.js';
import { fromHex } from '../../../axdr/writer.js';
import { decodeApdu, describeApdu, encodeApdu } from '../../index.js';
import { roundTripHex } from '../../testing.js';
import { EXCEPTION_RESPONSE_FIXTURES as F } from './fixtures.js';
import { ExceptionServiceError, ExceptionStateError } from './response.js';

describe('ExceptionResponse', () => {
  it('decodes state and service errors', () => {
    const a = roundTripHex(F.operationNotPossible);
    assert.deepEqual(a, { type: 'exception-response', stateError: ExceptionStateError.serviceNotAllowed, serviceError: 1 });
    assert.equal(describeApdu(a), 'exception-response service-not-allowed operation-not-possible');
    assert.equal(describeApdu(roundTripHex(F.serviceNotSupported)), 'exception-response service-unknown service-not-supported');
  });

  it('carries the invocation counter with invocation-counter-error', () => {
    const a = roundTripHex(F.invocationCounterError);
    assert.deepEqual(a, {
      type: 'exception-response',
      stateError: 1,
      serviceError: ExceptionServiceError.invocationCounterError,
      invocationCounter: 0x1234,
    });
    assert.equal(describeApdu(a), 'exception-response service-not-allowed invocation-counter-error 4660');
  });

  it('rejects an unknown service-error choice at its offset', () => {
    assert.throws(
      () => decodeApdu(fromHex('D8 01 07')),
      (e) => e instanceof DlmsError && e.code === 'DLMS_ERR_TAG' && e.offset === 2,
    );
  });

  it('refuses to encode a counter without invocation-counter-error', () => {
    assert.throws(
      () => encodeApdu({ type: 'exception-response', stateError: 1, serviceError: 1, invocationCounter: 5 }),
      (e) => e instanceof DlmsError && e.code === 'DLMS_ERR_ENCODE',
    );
  });
});
