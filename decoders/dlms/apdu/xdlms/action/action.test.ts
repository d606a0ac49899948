import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHex } from '../../../axdr/writer.js';
import { formatObis, parseObis } from '../../../obis.js';
import { describeApdu, encodeApdu } from '../../index.js';
import { roundTripHex } from '../../testing.js';
import { ActionResult, invokeIdAndPriority } from '../enums.js';
import { ACTION_FIXTURES as F } from './fixtures.js';

describe('ACTION-Request', () => {
  it('disconnect control remote_disconnect', () => {
    const a = roundTripHex(F.disconnectRequest);
    assert.deepEqual(a, {
      type: 'action-request-normal',
      invokeIdAndPriority: 0xc1,
      method: { classId: 70, instanceId: parseObis('0.0.96.3.10.255'), methodId: 1 },
      parameters: { type: 'integer', value: 0 },
    });
    assert.equal(describeApdu(a), 'action-request-normal #1 70/0.0.96.3.10.255 method 1 integer 0');
  });

  it('encodes remote_disconnect from its fields', () => {
    const bytes = encodeApdu({
      type: 'action-request-normal',
      invokeIdAndPriority: invokeIdAndPriority(1, true, true),
      method: { classId: 70, instanceId: parseObis('0-0:96.3.10'), methodId: 1 },
      parameters: { type: 'integer', value: 0 },
    });
    assert.equal(toHex(bytes, ' '), F.disconnectRequest);
  });

  it('reply_to_HLS_authentication with and without parameters (published)', () => {
    const a = roundTripHex(F.hlsReplyRequest);
    if (a.type !== 'action-request-normal') return assert.fail(a.type);
    assert.equal(a.invokeIdAndPriority, 0xc0);
    assert.equal(formatObis(a.method.instanceId), '0.0.40.0.0.255');
    assert.ok(a.parameters?.type === 'octet-string' && a.parameters.value.length === 17);
    const b = roundTripHex(F.noParametersRequest);
    assert.ok(b.type === 'action-request-normal' && !('parameters' in b));
  });

  it('round-trips the block and list forms', () => {
    assert.deepEqual(roundTripHex(F.nextPblockRequest), { type: 'action-request-next-pblock', invokeIdAndPriority: 0xc1, blockNumber: 2 });
    const l = roundTripHex(F.withListRequest);
    if (l.type !== 'action-request-with-list') return assert.fail(l.type);
    assert.deepEqual(
      l.methods.map((m) => m.methodId),
      [1, 2],
    );
    assert.equal(l.parameters.length, 2);
    const f = roundTripHex(F.withFirstPblockRequest);
    assert.ok(f.type === 'action-request-with-first-pblock' && f.method.classId === 18 && f.block.rawData.length === 4);
    const lf = roundTripHex(F.withListFirstPblockRequest);
    assert.ok(lf.type === 'action-request-with-list-and-first-pblock' && lf.methods.length === 1);
    assert.deepEqual(roundTripHex(F.withPblockRequest), {
      type: 'action-request-with-pblock',
      invokeIdAndPriority: 0xc1,
      block: { lastBlock: true, blockNumber: 2, rawData: Uint8Array.of(0, 0) },
    });
  });
});

describe('ACTION-Response', () => {
  it('decodes success, success with data, success with a data-access-result (published)', () => {
    assert.deepEqual(roundTripHex(F.successResponse), {
      type: 'action-response-normal',
      invokeIdAndPriority: 0xc0,
      response: { result: ActionResult.success },
    });
    const d = roundTripHex(F.withDataResponse);
    if (d.type !== 'action-response-normal') return assert.fail(d.type);
    assert.equal(d.response.returnParameters?.type, 'data');
    const e = roundTripHex(F.withErrorResponse);
    assert.deepEqual(e, {
      type: 'action-response-normal',
      invokeIdAndPriority: 0xc0,
      response: { result: 0, returnParameters: { type: 'data-access-result', value: 250 } },
    });
    assert.equal(describeApdu(e), 'action-response-normal #0 success other-reason');
  });

  it('round-trips the block and list forms', () => {
    const p = roundTripHex(F.withPblockResponse);
    assert.ok(p.type === 'action-response-with-pblock' && p.block.blockNumber === 1 && !p.block.lastBlock);
    const l = roundTripHex(F.withListResponse);
    assert.deepEqual(l, { type: 'action-response-with-list', invokeIdAndPriority: 0xc1, responses: [{ result: 0 }, { result: 3 }] });
    assert.equal(describeApdu(l), 'action-response-with-list #1 success, read-write-denied');
    assert.deepEqual(roundTripHex(F.nextPblockResponse), { type: 'action-response-next-pblock', invokeIdAndPriority: 0xc1, blockNumber: 1 });
  });
});
