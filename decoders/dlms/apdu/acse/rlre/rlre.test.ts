import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../axdr/writer.js';
import { ReleaseResponseReason, decodeRlre, encodeRlre } from '../index.js';
import { RLRE_FIXTURES as F } from './fixtures.js';
import { assertDlmsError, assertMutationsSafe, assertRoundTrip, assertTruncationsFail, decodeAll, encodeToBytes, rlreArb } from '../testkit.js';

describe('RLRE', () => {
  it('decodes the published release responses', () => {
    assert.deepEqual(decodeAll(decodeRlre, F.normal), { type: 'rlre', reason: ReleaseResponseReason.normal });
    assert.deepEqual(decodeAll(decodeRlre, F.initiateResponse), {
      type: 'rlre',
      reason: ReleaseResponseReason.normal,
      userInformation: {
        type: 'initiate-response',
        negotiatedQualityOfService: 0,
        negotiatedDlmsVersionNumber: 6,
        negotiatedConformance: 0x001e1d,
        serverMaxReceivePduSize: 1224,
        vaaName: 0x0007,
      },
    });
    const ciphered = decodeAll(decodeRlre, F.ciphered);
    assert.equal(ciphered.userInformation?.type === 'raw' && toHex(ciphered.userInformation.apdu.subarray(0, 2)), '281F');
    for (const [name, hex] of Object.entries(F)) assert.equal(toHex(encodeToBytes(encodeRlre, decodeAll(decodeRlre, hex))), hex.toUpperCase(), name);
  });

  it('round-trips any RLRE', () => {
    fc.assert(fc.property(rlreArb, (v) => assertRoundTrip(decodeRlre, encodeRlre, v)));
  });

  it('rejects malformed RLREs with codes and offsets', () => {
    assertDlmsError(() => decodeAll(decodeRlre, '6203800100'), 'DLMS_ERR_TAG', 0);
    // A plain InitiateRequest does not belong in an RLRE: it stays raw, and encoding it decoded is refused.
    assert.equal(decodeAll(decodeRlre, '6312BE10040E01000000065F1F0400007E1F04B0').userInformation?.type, 'raw');
    assertDlmsError(
      () =>
        encodeToBytes(encodeRlre, {
          type: 'rlre',
          userInformation: { type: 'initiate-request', responseAllowed: true, proposedDlmsVersionNumber: 6, proposedConformance: 0, clientMaxReceivePduSize: 0 },
        }),
      'DLMS_ERR_ENCODE',
    );
    // An InitiateResponse cut short inside the user-information.
    assertDlmsError(() => decodeAll(decodeRlre, '6315800100BE10040E080100065F1F0400001E1D04C800'), 'DLMS_ERR_TRUNCATED', 22);
  });

  it('throws only DlmsError on truncated or corrupted input', () => {
    for (const hex of Object.values(F)) {
      assertTruncationsFail(decodeRlre, fromHex(hex), true);
      assertMutationsSafe(decodeRlre, fromHex(hex));
    }
  });
});
