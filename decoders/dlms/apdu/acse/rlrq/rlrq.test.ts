import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../axdr/writer.js';
import { ReleaseRequestReason, decodeRlrq, encodeRlrq } from '../index.js';
import { RLRQ_FIXTURES as F } from './fixtures.js';
import { assertDlmsError, assertMutationsSafe, assertRoundTrip, assertTruncationsFail, decodeAll, encodeToBytes, rlrqArb } from '../testkit.js';

describe('RLRQ', () => {
  it('decodes the published release requests', () => {
    assert.deepEqual(decodeAll(decodeRlrq, F.normal), { type: 'rlrq', reason: ReleaseRequestReason.normal });
    const ciphered = decodeAll(decodeRlrq, F.ciphered);
    assert.equal(ciphered.reason, ReleaseRequestReason.normal);
    assert.equal(ciphered.userInformation?.type === 'raw' && ciphered.userInformation.apdu[0], 0x21);
    for (const [name, hex] of Object.entries(F)) assert.equal(toHex(encodeToBytes(encodeRlrq, decodeAll(decodeRlrq, hex))), hex.toUpperCase(), name);
  });

  it('decodes an empty RLRQ and a plain InitiateRequest', () => {
    assert.deepEqual(decodeAll(decodeRlrq, '6200'), { type: 'rlrq' });
    const v = decodeAll(decodeRlrq, '6215800101BE10040E01000000065F1F0400007E1F04B0');
    assert.equal(v.reason, ReleaseRequestReason.urgent);
    assert.equal(v.userInformation?.type, 'initiate-request');
  });

  it('round-trips any RLRQ', () => {
    fc.assert(fc.property(rlrqArb, (v) => assertRoundTrip(decodeRlrq, encodeRlrq, v)));
  });

  it('rejects malformed RLRQs with codes and offsets', () => {
    assertDlmsError(() => decodeAll(decodeRlrq, '6303800100'), 'DLMS_ERR_TAG', 0);
    assertDlmsError(() => decodeAll(decodeRlrq, '6203810100'), 'DLMS_ERR_TAG', 2);
    assertDlmsError(() => decodeAll(decodeRlrq, '6206800100'), 'DLMS_ERR_LENGTH', 1);
    assertDlmsError(() => decodeAll(decodeRlrq, '6206800100800100'), 'DLMS_ERR_TAG', 5);
    assertDlmsError(() => decodeAll(decodeRlrq, '62028000'), 'DLMS_ERR_LENGTH', 4);
    assertDlmsError(() => decodeAll(decodeRlrq, '6204BE020400'), 'DLMS_ERR_TRUNCATED', 6);
  });

  it('throws only DlmsError on truncated or corrupted input', () => {
    for (const hex of Object.values(F)) {
      assertTruncationsFail(decodeRlrq, fromHex(hex), true);
      assertMutationsSafe(decodeRlrq, fromHex(hex));
    }
  });
});
