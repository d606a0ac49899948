import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../axdr/writer.js';
import {
  AcseServiceUserDiagnostic,
  AssociationResult,
  applicationContextName,
  decodeAare,
  encodeAare,
  mechanismName,
  type Aare,
} from '../index.js';
import { AARE_FIXTURES as F } from './fixtures.js';
import { aareArb, assertDlmsError, assertMutationsSafe, assertRoundTrip, assertTruncationsFail, decodeAll, encodeToBytes } from '../testkit.js';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('AARE', () => {
  it('decodes an accepted LN association with its InitiateResponse', () => {
    const expected: Aare = {
      type: 'aare',
      applicationContextName: applicationContextName('logical-name'),
      result: AssociationResult.accepted,
      resultSourceDiagnostic: { source: 'acse-service-user', code: AcseServiceUserDiagnostic.null },
      userInformation: {
        type: 'initiate-response',
        negotiatedDlmsVersionNumber: 6,
        negotiatedConformance: 0x00501f,
        serverMaxReceivePduSize: 500,
        vaaName: 0x0007,
      },
    };
    assert.deepEqual(decodeAll(decodeAare, F.accepted), expected);
    assert.equal(toHex(encodeToBytes(encodeAare, expected)), F.accepted);
  });

  it('accepts a long-form APDU length and re-encodes it in the short form', () => {
    const v = decodeAll(decodeAare, F.acceptedLongLength);
    assert.equal(v.result, AssociationResult.accepted);
    assert.equal(v.userInformation?.type === 'initiate-response' && v.userInformation.serverMaxReceivePduSize, 1007);
    assert.equal(toHex(encodeToBytes(encodeAare, v)), '6129' + F.acceptedLongLength.slice(8));
  });

  it('decodes rejections with their diagnostics', () => {
    const context = decodeAll(decodeAare, F.rejectedContext);
    assert.equal(context.result, AssociationResult.rejectedPermanent);
    assert.deepEqual(context.resultSourceDiagnostic, { source: 'acse-service-user', code: AcseServiceUserDiagnostic.applicationContextNameNotSupported });

    const auth = decodeAll(decodeAare, F.rejectedAuthentication);
    assert.equal(auth.result, AssociationResult.rejectedPermanent);
    assert.equal(auth.resultSourceDiagnostic.code, AcseServiceUserDiagnostic.authenticationFailure);

    // A ConfirmedServiceError (initiateError [1], initiate [6], dlms-version-too-low 1) stays raw for the xDLMS layer.
    const version = decodeAll(decodeAare, F.rejectedVersion);
    assert.deepEqual(version.resultSourceDiagnostic, { source: 'acse-service-user', code: AcseServiceUserDiagnostic.noReasonGiven });
    assert.deepEqual(version.userInformation, { type: 'raw', apdu: fromHex('0E010601') });
  });

  it('decodes an HLS-GMAC response with the server challenge', () => {
    const v = decodeAll(decodeAare, F.hlsGmac);
    assert.equal(v.result, AssociationResult.accepted);
    assert.equal(v.resultSourceDiagnostic.code, AcseServiceUserDiagnostic.authenticationRequired);
    assert.deepEqual(v.responderAcseRequirements, { authentication: true });
    assert.deepEqual(v.mechanismName, mechanismName('high-gmac'));
    assert.deepEqual(v.respondingAuthenticationValue, { kind: 'charstring', value: ascii('P6wRJ21F') });
  });

  it('decodes a ciphered HLS-GMAC response with the server system title', () => {
    const v = decodeAll(decodeAare, F.cipheredHlsGmac);
    assert.equal(v.applicationContextName.name, 'logical-name-ciphering');
    assert.equal(toHex(v.respondingApTitle!), '4D454C6570A037B2');
    assert.deepEqual(v.respondingAuthenticationValue, { kind: 'charstring', value: ascii('(G3cnP~s') });
    assert.equal(v.userInformation?.type === 'raw' && toHex(v.userInformation.apdu.subarray(0, 3)), '281F30');
  });

  it('re-encodes every published AARE with a minimal length to the same bytes', () => {
    for (const [name, hex] of Object.entries(F)) {
      if (name === 'acceptedLongLength') continue;
      assert.equal(toHex(encodeToBytes(encodeAare, decodeAll(decodeAare, hex))), hex.toUpperCase(), name);
    }
  });

  it('decodes an acse-service-provider diagnostic', () => {
    const v = decodeAll(decodeAare, '6117A109060760857405080101A203020102A305A203020102');
    assert.deepEqual(v.resultSourceDiagnostic, { source: 'acse-service-provider', code: 2 });
    assert.equal(v.result, AssociationResult.rejectedTransient);
  });

  it('round-trips any AARE', () => {
    fc.assert(fc.property(aareArb, (v) => assertRoundTrip(decodeAare, encodeAare, v)), { numRuns: 300 });
  });

  it('rejects malformed AAREs with codes and offsets', () => {
    // result and result-source-diagnostic are mandatory: missing is reported at the end of the APDU.
    assertDlmsError(() => decodeAll(decodeAare, '6110A109060760857405080101A203020100'), 'DLMS_ERR_TAG', 18);
    assertDlmsError(() => decodeAll(decodeAare, '6112A109060760857405080101A305A103020100'), 'DLMS_ERR_TAG', 20);
    // A diagnostic choice that is neither [1] nor [2].
    assertDlmsError(() => decodeAll(decodeAare, '6117A109060760857405080101A203020100A305A303020100'), 'DLMS_ERR_TAG', 20);
    // result as a 7-byte INTEGER.
    assertDlmsError(
      () => decodeAll(decodeAare, '611DA109060760857405080101A209020701020304050607A305A103020100'),
      'DLMS_ERR_LENGTH',
      17,
    );
    // An AARQ-only element ([6] calling-AP-title is responding-AP-invocation-id here and must hold an INTEGER).
    assertDlmsError(
      () => decodeAll(decodeAare, '6123A109060760857405080101A203020100A305A103020100A60A04084D454C0000000001'),
      'DLMS_ERR_TAG',
      27,
    );
    assertDlmsError(() => encodeToBytes(encodeAare, { ...decodeAll(decodeAare, F.accepted), result: 2 ** 48 }), 'DLMS_ERR_ENCODE');
  });

  it('throws only DlmsError on truncated or corrupted input', () => {
    for (const hex of Object.values(F)) {
      assertTruncationsFail(decodeAare, fromHex(hex), true);
      assertMutationsSafe(decodeAare, fromHex(hex));
    }
  });
});
