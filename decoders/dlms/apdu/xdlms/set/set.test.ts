import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatObis } from '../../../obis.js';
import { describeApdu } from '../../index.js';
import { roundTripHex } from '../../testing.js';
import { SET_FIXTURES as F } from './fixtures.js';

describe('SET-Request', () => {
  it('sets the clock (published vector)', () => {
    const a = roundTripHex(F.clockRequest);
    if (a.type !== 'set-request-normal') return assert.fail(a.type);
    assert.equal(formatObis(a.attribute.instanceId), '0.0.1.0.0.255');
    assert.equal(a.value.type, 'octet-string');
    assert.equal(describeApdu(a), 'set-request-normal #1 8/0.0.1.0.0.255/2 octet-string(12) 2021-01-24T14:48:57.80+01:00');
  });

  it('decodes the Green Book first-datablock example', () => {
    const a = roundTripHex(F.firstDatablockRequest);
    if (a.type !== 'set-request-with-first-datablock') return assert.fail(a.type);
    assert.equal(formatObis(a.attribute.instanceId), '0.0.128.0.0.255');
    assert.equal(a.block.lastBlock, false);
    assert.equal(a.block.blockNumber, 1);
    assert.equal(a.block.rawData.length, 21);
    assert.equal(a.block.rawData[0], 0x09); // start of an octet-string of 0x32 bytes, continued in block 2
  });

  it('round-trips the other request forms', () => {
    const d = roundTripHex(F.datablockRequest);
    assert.deepEqual(d, {
      type: 'set-request-with-datablock',
      invokeIdAndPriority: 0xc1,
      block: { lastBlock: true, blockNumber: 2, rawData: Uint8Array.of(0x20, 0x21, 0x22) },
    });
    const l = roundTripHex(F.withListRequest);
    if (l.type !== 'set-request-with-list') return assert.fail(l.type);
    assert.deepEqual(l.values, [
      { type: 'long-unsigned', value: 1 },
      { type: 'unsigned', value: 2 },
    ]);
    const lf = roundTripHex(F.withListFirstDatablockRequest);
    if (lf.type !== 'set-request-with-list-and-first-datablock') return assert.fail(lf.type);
    assert.equal(lf.attributes.length, 2);
    assert.equal(lf.block.blockNumber, 1);
  });
});

describe('SET-Response', () => {
  it('decodes every response form', () => {
    assert.deepEqual(roundTripHex(F.normalResponse), { type: 'set-response-normal', invokeIdAndPriority: 0xc1, result: 0 });
    assert.deepEqual(roundTripHex(F.datablockResponse), { type: 'set-response-datablock', invokeIdAndPriority: 0xc1, blockNumber: 1 });
    assert.deepEqual(roundTripHex(F.lastDatablockResponse), {
      type: 'set-response-last-datablock',
      invokeIdAndPriority: 0xc1,
      result: 0,
      blockNumber: 2,
    });
    const lw = roundTripHex(F.lastDatablockWithListResponse);
    assert.deepEqual(lw, { type: 'set-response-last-datablock-with-list', invokeIdAndPriority: 0xc1, results: [0, 3], blockNumber: 2 });
    assert.equal(describeApdu(lw), 'set-response-last-datablock-with-list #1 success, read-write-denied block 2');
    assert.deepEqual(roundTripHex(F.withListResponse), { type: 'set-response-with-list', invokeIdAndPriority: 0xc1, results: [0, 4] });
  });
});
