import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DlmsError } from '../../../errors.js';
import { decodeApdu, describeApdu } from '../../index.js';
import { roundTripHex } from '../../testing.js';
import { GBT_FIXTURES as F } from './fixtures.js';
import type { GeneralBlockTransfer } from './gbt.js';
import { GbtReassembler } from './reassembler.js';

describe('General-Block-Transfer', () => {
  it('splits the block-control byte', () => {
    const a = roundTripHex(F.singleBlock);
    if (a.type !== 'general-block-transfer') return assert.fail(a.type);
    assert.deepEqual([a.lastBlock, a.streaming, a.window, a.blockNumber, a.blockNumberAck], [true, false, 1, 1, 0]);
    assert.equal(decodeApdu(a.blockData).type, 'get-response-normal');
    assert.equal(describeApdu(a), 'general-block-transfer block 1 ack 0 window 1 last 5 bytes');
    const s = roundTripHex(F.streamingBlock);
    assert.ok(s.type === 'general-block-transfer' && s.streaming && !s.lastBlock && s.window === 3);
    const ack = roundTripHex(F.ack);
    assert.ok(ack.type === 'general-block-transfer' && ack.blockNumberAck === 3 && ack.blockData.length === 0);
  });
});

function gbt(blockNumber: number, data: number[], lastBlock = false, streaming = true): GeneralBlockTransfer {
  return { type: 'general-block-transfer', lastBlock, streaming, window: 3, blockNumber, blockNumberAck: 0, blockData: Uint8Array.from(data) };
}

describe('GbtReassembler', () => {
  it('joins blocks received in order and resets for the next transfer', () => {
    const r = new GbtReassembler();
    assert.deepEqual(r.push(gbt(1, [0xc4, 0x01])), { ack: 1, missing: [], needAck: false });
    assert.deepEqual(r.push(gbt(2, [0xc1, 0x01], false, false)), { ack: 2, missing: [], needAck: true });
    const done = r.push(gbt(3, [0x04], true, false));
    assert.deepEqual(done.apdu, Uint8Array.of(0xc4, 0x01, 0xc1, 0x01, 0x04));
    assert.equal(decodeApdu(done.apdu!).type, 'get-response-normal');
    assert.deepEqual(r.push(gbt(1, [9], true, false)).apdu, Uint8Array.of(9));
  });

  it('reports a lost block, then completes when it is sent again', () => {
    const r = new GbtReassembler();
    r.push(gbt(1, [1]));
    assert.deepEqual(r.push(gbt(3, [3], false, false)), { ack: 1, missing: [2], needAck: true });
    assert.deepEqual(r.push(gbt(4, [4], true, false)), { ack: 1, missing: [2], needAck: true });
    const done = r.push(gbt(2, [2], false, false));
    assert.deepEqual(done.apdu, Uint8Array.of(1, 2, 3, 4));
  });

  it('ignores duplicates and copies blocks held ahead of a gap', () => {
    const r = new GbtReassembler();
    const ahead = gbt(2, [2], true);
    r.push(ahead);
    ahead.blockData[0] = 0xee; // the frame buffer is reused by the transport
    r.push(gbt(2, [0xdd], true));
    assert.deepEqual(r.push(gbt(1, [1])).apdu, Uint8Array.of(1, 2));
  });

  it('rejects a block after the last block and a transfer over the size limit', () => {
    const r = new GbtReassembler();
    r.push(gbt(2, [2], true));
    assert.throws(() => r.push(gbt(3, [3])), (e) => e instanceof DlmsError && e.code === 'DLMS_ERR_VALUE');
    const small = new GbtReassembler({ maxApduSize: 3 });
    small.push(gbt(1, [1, 2]));
    assert.throws(() => small.push(gbt(2, [3, 4])), (e) => e instanceof DlmsError && e.code === 'DLMS_ERR_LENGTH');
  });
});
