import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Reader } from '../../../axdr/reader.js';
import { fromHex, toHex } from '../../../axdr/writer.js';
import { applicationContextName, decodeAarq, encodeAarq, mechanismName, type Aarq } from '../index.js';
import { AARQ_FIXTURES as F } from './fixtures.js';
import { aarqArb, assertDlmsError, assertMutationsSafe, assertRoundTrip, assertTruncationsFail, decodeAll, encodeToBytes } from '../testkit.js';

const ascii = (s: string) => new TextEncoder().encode(s);

/** The Green Book InitiateRequest: version 6, conformance 007E1F, client PDU size 1200. */
const greenBookInitiate = {
  type: 'initiate-request',
  responseAllowed: true,
  proposedDlmsVersionNumber: 6,
  proposedConformance: 0x007e1f,
  clientMaxReceivePduSize: 1200,
} as const;

describe('AARQ', () => {
  it('decodes the Green Book LN no-security AARQ', () => {
    const expected: Aarq = {
      type: 'aarq',
      applicationContextName: { oid: '2.16.756.5.8.1.1', name: 'logical-name' },
      userInformation: greenBookInitiate,
    };
    assert.deepEqual(decodeAll(decodeAarq, F.lnNoSecurity), expected);
  });

  it('decodes the Green Book LLS AARQ with password "12345678"', () => {
    const expected: Aarq = {
      type: 'aarq',
      applicationContextName: applicationContextName('logical-name'),
      senderAcseRequirements: { authentication: true },
      mechanismName: mechanismName('low'),
      callingAuthenticationValue: { kind: 'charstring', value: ascii('12345678') },
      userInformation: greenBookInitiate,
    };
    assert.deepEqual(decodeAll(decodeAarq, F.lnLls), expected);
    assert.equal(toHex(encodeToBytes(encodeAarq, expected)), F.lnLls);
  });

  it('decodes the HLS-GMAC AARQ with calling-AP-title and ciphered user-information', () => {
    const v = decodeAll(decodeAarq, F.lnCipheredHlsGmac);
    assert.equal(v.applicationContextName.name, 'logical-name-ciphering');
    assert.equal(v.mechanismName?.name, 'high-gmac');
    assert.equal(v.mechanismName?.oid, '2.16.756.5.8.2.5');
    assert.deepEqual(v.callingApTitle, ascii('MEL\0\0\0\0\x01'));
    assert.deepEqual(v.callingAuthenticationValue, { kind: 'charstring', value: ascii(')HB+0F04') });
    assert.equal(v.userInformation?.type, 'raw');
    // The glo-initiateRequest stays as sent (tag 0x21, length 0x1F, SC 0x30, IC 0x24507E1E, ...) for the security layer.
    assert.equal(v.userInformation?.type === 'raw' && toHex(v.userInformation.apdu.subarray(0, 7)), '211F3024507E1E');
    assert.equal(v.userInformation?.type === 'raw' && v.userInformation.apdu.length, 33);
  });

  it('names every published mechanism and keeps 16-byte HLS challenges', () => {
    assert.equal(decodeAll(decodeAarq, F.lnHlsGmac).mechanismName?.name, 'high-gmac');
    assert.equal(decodeAll(decodeAarq, F.lnCipheredLls).mechanismName?.name, 'low');
    const sha = decodeAll(decodeAarq, F.lnCipheredHlsSha256);
    assert.equal(sha.mechanismName?.name, 'high-sha256');
    assert.equal(sha.callingAuthenticationValue?.value instanceof Uint8Array && sha.callingAuthenticationValue.value.length, 16);
    assert.equal(toHex(sha.callingApTitle!), '0000000000009800');
  });

  it('re-encodes every published AARQ to the same bytes', () => {
    for (const [name, hex] of Object.entries(F)) {
      assert.equal(toHex(encodeToBytes(encodeAarq, decodeAll(decodeAarq, hex))), hex.toUpperCase(), name);
    }
  });

  it('accepts the optional elements in any order and encodes them in grammar order', () => {
    // lnLls with user-information first and the mechanism before the ACSE requirements.
    const shuffled =
      '6036' + 'BE10040E01000000065F1F0400007E1F04B0' + 'A109060760857405080101' + '8B0760857405080201' + '8A020780' + 'AC0A80083132333435363738';
    const v = decodeAll(decodeAarq, shuffled);
    assert.deepEqual(v, decodeAll(decodeAarq, F.lnLls));
    assert.equal(toHex(encodeToBytes(encodeAarq, v)), F.lnLls);
  });

  it('uses long-form lengths for a certificate-sized calling-AE-qualifier', () => {
    const cert = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const v: Aarq = { type: 'aarq', applicationContextName: applicationContextName('logical-name-ciphering'), callingAeQualifier: cert };
    const bytes = encodeToBytes(encodeAarq, v);
    // 60 82 01 3F | A1 09 .. | A7 82 01 30 04 82 01 2C <300 bytes>
    assert.equal(toHex(bytes.subarray(0, 4)), '6082013F');
    assert.equal(toHex(bytes.subarray(15, 23)), 'A78201300482012C');
    assert.deepEqual(decodeAll(decodeAarq, bytes), v);
  });

  it('reads exactly one APDU and leaves the reader after it', () => {
    const r = new Reader(fromHex(F.lnNoSecurity + '6203800100'));
    decodeAarq(r);
    assert.equal(r.pos, 31);
  });

  it('round-trips any AARQ', () => {
    fc.assert(fc.property(aarqArb, (v) => assertRoundTrip(decodeAarq, encodeAarq, v)), { numRuns: 300 });
  });

  it('rejects malformed AARQs with codes and offsets', () => {
    assertDlmsError(() => decodeAll(decodeAarq, '6129A109060760857405080101'), 'DLMS_ERR_TAG', 0);
    assertDlmsError(() => decodeAll(decodeAarq, '6080A1090607608574050801010000'), 'DLMS_ERR_LENGTH', 1); // indefinite length
    assertDlmsError(() => decodeAll(decodeAarq, F.lnNoSecurity.slice(0, -2)), 'DLMS_ERR_LENGTH', 1);
    // An element tag that AARQ does not define ([12] primitive instead of [12] constructed), after A1.
    assertDlmsError(() => decodeAll(decodeAarq, '601FA1090607608574050801018C00BE10040E01000000065F1F0400007E1F04B0'), 'DLMS_ERR_TAG', 13);
    // application-context-name twice.
    assertDlmsError(() => decodeAll(decodeAarq, '6016A109060760857405080101A109060760857405080101'), 'DLMS_ERR_TAG', 13);
    // application-context-name missing: reported at the end of the APDU.
    assertDlmsError(() => decodeAll(decodeAarq, '6012BE10040E01000000065F1F0400007E1F04B0'), 'DLMS_ERR_TAG', 20);
    // application-context-name holding an OCTET STRING instead of an OBJECT IDENTIFIER.
    assertDlmsError(() => decodeAll(decodeAarq, '600BA109040760857405080101'), 'DLMS_ERR_TAG', 4);
    // A byte left inside the application-context-name wrapper.
    assertDlmsError(() => decodeAll(decodeAarq, '600CA10A06076085740508010100'), 'DLMS_ERR_TRAILING', 13);
    // A non-minimal OID sub-identifier (leading 0x80).
    assertDlmsError(() => decodeAll(decodeAarq, '6006A10406028001'), 'DLMS_ERR_VALUE', 6);
    // An OID whose last sub-identifier says "more follows".
    assertDlmsError(() => decodeAll(decodeAarq, '6005A103060185'), 'DLMS_ERR_TRUNCATED', 7);
    // calling-authentication-value with the unsupported external [2] choice.
    assertDlmsError(() => decodeAll(decodeAarq, '600FA109060760857405080101AC02A200'), 'DLMS_ERR_TAG', 15);
    // A BIT STRING with 8 unused bits in sender-acse-requirements.
    assertDlmsError(() => decodeAll(decodeAarq, '600FA1090607608574050801018A020880'), 'DLMS_ERR_VALUE', 15);
    // An InitiateRequest with a byte after it inside user-information.
    assertDlmsError(() => decodeAll(decodeAarq, '601EA109060760857405080101BE11040F01000000065F1F0400007E1F04B000'), 'DLMS_ERR_TRAILING', 31);
    // An InitiateRequest with a broken conformance tag: the offset points into the user-information.
    assertDlmsError(() => decodeAll(decodeAarq, '601DA109060760857405080101BE10040E01000000065F1E0400007E1F04B0'), 'DLMS_ERR_TAG', 22);
  });

  it('refuses to encode what would not decode back', () => {
    const base = decodeAll(decodeAarq, F.lnNoSecurity);
    const { applicationContextName: _omit, ...noContext } = base;
    assertDlmsError(() => encodeToBytes(encodeAarq, noContext as Aarq), 'DLMS_ERR_ENCODE');
    assertDlmsError(() => encodeToBytes(encodeAarq, { ...base, applicationContextName: { oid: '3.1' } }), 'DLMS_ERR_ENCODE');
    assertDlmsError(() => encodeToBytes(encodeAarq, { ...base, userInformation: { type: 'raw', apdu: fromHex('01000000') } }), 'DLMS_ERR_ENCODE');
    assertDlmsError(
      () =>
        encodeToBytes(encodeAarq, {
          ...base,
          userInformation: { type: 'initiate-response', negotiatedDlmsVersionNumber: 6, negotiatedConformance: 0, serverMaxReceivePduSize: 0, vaaName: 7 },
        }),
      'DLMS_ERR_ENCODE',
    );
    assertDlmsError(() => encodeToBytes(encodeAarq, { ...base, implementationInformation: 'ǅ' }), 'DLMS_ERR_ENCODE');
  });

  it('throws only DlmsError on truncated or corrupted input', () => {
    for (const hex of Object.values(F)) {
      assertTruncationsFail(decodeAarq, fromHex(hex), true);
      assertMutationsSafe(decodeAarq, fromHex(hex));
    }
  });
});
