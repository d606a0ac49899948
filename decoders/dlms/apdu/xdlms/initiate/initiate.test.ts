import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../axdr/writer.js';
import {
  CONFORMANCE_BITS,
  conformanceBits,
  conformanceFromBits,
  conformanceMask,
  decodeConformance,
  decodeInitiateRequest,
  decodeInitiateResponse,
  encodeConformance,
  encodeInitiateRequest,
  encodeInitiateResponse,
  hasConformance,
  type InitiateRequest,
  type InitiateResponse,
} from './index.js';
import { INITIATE_FIXTURES as F } from './fixtures.js';
import {
  assertDlmsError,
  assertMutationsSafe,
  assertRoundTrip,
  assertTruncationsFail,
  conformanceArb,
  decodeAll,
  encodeToBytes,
  initiateRequestArb,
  initiateResponseArb,
} from '../../acse/testkit.js';

describe('conformance block', () => {
  it('numbers the bits as the Green Book does (bit 0 = MSB of the first byte)', () => {
    assert.equal(CONFORMANCE_BITS.length, 24);
    assert.equal(conformanceMask('general-protection'), 0x400000);
    assert.equal(conformanceMask('general-block-transfer'), 0x200000);
    assert.equal(conformanceMask('delta-value-encoding'), 0x020000);
    assert.equal(conformanceMask('attribute0-supported-with-set'), 0x008000);
    assert.equal(conformanceMask('multiple-references'), 0x000200);
    assert.equal(conformanceMask('data-notification'), 0x000080);
    assert.equal(conformanceMask('get'), 0x000010);
    assert.equal(conformanceMask('action'), 0x000001);
  });

  it('names the Green Book LN block 007E1F', () => {
    // u9n/dlms-cosem tests/test_asce/test_conformance.py: 007E1F and 00501F from the Green Book v10 p.437.
    assert.deepEqual(conformanceBits(0x007e1f), [
      'priority-mgmt-supported',
      'attribute0-supported-with-get',
      'block-transfer-with-get-or-read',
      'block-transfer-with-set-or-write',
      'block-transfer-with-action',
      'multiple-references',
      'get',
      'set',
      'selective-access',
      'event-notification',
      'action',
    ]);
    const b = conformanceFromBits(['priority-mgmt-supported', 'block-transfer-with-get-or-read', 'get', 'set', 'selective-access', 'event-notification', 'action']);
    assert.equal(b, 0x00501f);
    assert.ok(hasConformance(b, 'get'));
    assert.ok(!hasConformance(b, 'attribute0-supported-with-get'));
  });

  it('round-trips every block through names and bytes', () => {
    fc.assert(
      fc.property(conformanceArb, (c) => {
        assert.equal(conformanceFromBits(conformanceBits(c)), c);
        assert.equal(decodeAll(decodeConformance, encodeToBytes(encodeConformance, c)), c);
      }),
    );
  });

  it('rejects a wrong tag, length or unused-bits count with the offset', () => {
    assertDlmsError(() => decodeAll(decodeConformance, '5F1E0400007E1F'), 'DLMS_ERR_TAG', 0);
    assertDlmsError(() => decodeAll(decodeConformance, '5F1F0500007E1F00'), 'DLMS_ERR_LENGTH', 2);
    assertDlmsError(() => decodeAll(decodeConformance, '5F1F0401007E1F'), 'DLMS_ERR_VALUE', 3);
    assertDlmsError(() => encodeToBytes(encodeConformance, 0x1000000), 'DLMS_ERR_ENCODE');
  });
});

describe('InitiateRequest', () => {
  it('decodes and re-encodes the published examples', () => {
    const plain: InitiateRequest = {
      type: 'initiate-request',
      responseAllowed: true,
      proposedDlmsVersionNumber: 6,
      proposedConformance: 0x007e1f,
      clientMaxReceivePduSize: 1200,
    };
    assert.deepEqual(decodeAll(decodeInitiateRequest, F.request), plain);
    const keyed = { ...plain, dedicatedKey: fromHex('00112233445566778899AABBCCDDEEFF') };
    assert.deepEqual(decodeAll(decodeInitiateRequest, F.requestDedicatedKey), keyed);
    assert.equal(toHex(encodeToBytes(encodeInitiateRequest, plain)), F.request);
    assert.equal(toHex(encodeToBytes(encodeInitiateRequest, keyed)), F.requestDedicatedKey);
  });

  it('reads response-allowed and QoS when present', () => {
    const v = decodeAll(decodeInitiateRequest, '01000100010A065F1F0400001E1D0100');
    assert.equal(v.responseAllowed, false);
    assert.equal(v.proposedQualityOfService, 10);
    assert.equal(v.clientMaxReceivePduSize, 256);
    // An explicit TRUE decodes like the default.
    assert.equal(decodeAll(decodeInitiateRequest, '0100010100065F1F0400001E1D0100').responseAllowed, true);
  });

  it('round-trips any value', () => {
    fc.assert(fc.property(initiateRequestArb, (v) => assertRoundTrip(decodeInitiateRequest, encodeInitiateRequest, v)));
  });

  it('rejects bad input with codes and offsets', () => {
    assertDlmsError(() => decodeAll(decodeInitiateRequest, '08000000065F1F0400007E1F04B0'), 'DLMS_ERR_TAG', 0);
    assertDlmsError(() => decodeAll(decodeInitiateRequest, '01020000065F1F0400007E1F04B0'), 'DLMS_ERR_VALUE', 1);
    assertDlmsError(() => decodeAll(decodeInitiateRequest, '0101FF00112233'), 'DLMS_ERR_LENGTH', 2);
    assertDlmsError(() => decodeAll(decodeInitiateRequest, '010000000604007E1F04B0'), 'DLMS_ERR_TAG', 5);
    assertDlmsError(() => decodeAll(decodeInitiateRequest, '01000000065F1F0400007E1F04B000'), 'DLMS_ERR_TRAILING', 14);
    const ok = decodeAll(decodeInitiateRequest, F.request);
    assertDlmsError(() => encodeToBytes(encodeInitiateRequest, { ...ok, proposedDlmsVersionNumber: 256 }), 'DLMS_ERR_ENCODE');
    assertDlmsError(() => encodeToBytes(encodeInitiateRequest, { ...ok, clientMaxReceivePduSize: 70000 }), 'DLMS_ERR_ENCODE');
    assertDlmsError(() => encodeToBytes(encodeInitiateRequest, { ...ok, proposedQualityOfService: 128 }), 'DLMS_ERR_ENCODE');
  });

  it('throws only DlmsError on truncated or corrupted input', () => {
    for (const hex of [F.request, F.requestDedicatedKey]) {
      assertTruncationsFail(decodeInitiateRequest, fromHex(hex), false);
      assertMutationsSafe(decodeInitiateRequest, fromHex(hex));
    }
  });
});

describe('InitiateResponse', () => {
  it('decodes and re-encodes the published examples', () => {
    const v: InitiateResponse = {
      type: 'initiate-response',
      negotiatedDlmsVersionNumber: 6,
      negotiatedConformance: 0x00501f,
      serverMaxReceivePduSize: 500,
      vaaName: 0x0007,
    };
    assert.deepEqual(decodeAll(decodeInitiateResponse, F.response), v);
    assert.equal(toHex(encodeToBytes(encodeInitiateResponse, v)), F.response);
    const q = decodeAll(decodeInitiateResponse, F.responseQos);
    assert.equal(q.negotiatedQualityOfService, 0);
    assert.equal(q.serverMaxReceivePduSize, 1224);
    assert.equal(toHex(encodeToBytes(encodeInitiateResponse, q)), F.responseQos);
  });

  it('round-trips any value', () => {
    fc.assert(fc.property(initiateResponseArb, (v) => assertRoundTrip(decodeInitiateResponse, encodeInitiateResponse, v)));
  });

  it('rejects bad input with codes and offsets', () => {
    assertDlmsError(() => decodeAll(decodeInitiateResponse, F.request), 'DLMS_ERR_TAG', 0);
    assertDlmsError(() => decodeAll(decodeInitiateResponse, '0802065F1F040000501F01F40007'), 'DLMS_ERR_VALUE', 1);
    assertDlmsError(() => decodeAll(decodeInitiateResponse, '0800065F1F040000501F01F400'), 'DLMS_ERR_TRUNCATED', 12);
    const ok = decodeAll(decodeInitiateResponse, F.response);
    assertDlmsError(() => encodeToBytes(encodeInitiateResponse, { ...ok, vaaName: -1 }), 'DLMS_ERR_ENCODE');
  });

  it('throws only DlmsError on truncated or corrupted input', () => {
    for (const hex of [F.response, F.responseQos]) {
      assertTruncationsFail(decodeInitiateResponse, fromHex(hex), false);
      assertMutationsSafe(decodeInitiateResponse, fromHex(hex));
    }
  });
});
