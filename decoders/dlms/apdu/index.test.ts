import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../axdr/writer.js';
import { DlmsError } from '../errors.js';
import { type Apdu, ApduTag, apduTagName, decodeApdu, describeApdu, encodeApdu } from './index.js';
import { arbApduByType, roundTripHex } from './testing.js';
import { ACTION_FIXTURES } from './xdlms/action/fixtures.js';
import { CONFIRMED_SERVICE_ERROR_FIXTURES } from './xdlms/confirmed-service-error/fixtures.js';
import { DATA_NOTIFICATION_FIXTURES } from './xdlms/data-notification/fixtures.js';
import { EVENT_NOTIFICATION_FIXTURES } from './xdlms/event-notification/fixtures.js';
import { EXCEPTION_RESPONSE_FIXTURES } from './xdlms/exception-response/fixtures.js';
import { GBT_FIXTURES } from './xdlms/general-block-transfer/fixtures.js';
import { GET_FIXTURES } from './xdlms/get/fixtures.js';
import { SET_FIXTURES } from './xdlms/set/fixtures.js';
import { assertDlmsError } from '../testkit.js';

const ALL_FIXTURES: [string, string][] = Object.entries({
  ...GET_FIXTURES,
  ...SET_FIXTURES,
  ...ACTION_FIXTURES,
  ...DATA_NOTIFICATION_FIXTURES,
  ...EVENT_NOTIFICATION_FIXTURES,
  ...EXCEPTION_RESPONSE_FIXTURES,
  ...CONFIRMED_SERVICE_ERROR_FIXTURES,
  ...GBT_FIXTURES,
}).map(([k, v]) => [k, v]);

/** Decoding must either succeed or throw a DlmsError, never anything else. */
function decodesOrDlmsError(b: Uint8Array): void {
  try {
    decodeApdu(b);
  } catch (e) {
    if (!(e instanceof DlmsError)) throw e;
  }
}

describe('decodeApdu dispatch', () => {
  it('round-trips every captured fixture byte for byte', () => {
    for (const [, hex] of ALL_FIXTURES) roundTripHex(hex);
  });

  it('hands ACSE and initiate APDUs to their codecs', () => {
    // milanbella/gocosem asn1_test.go: AARQ with LLS "12345678" and AARE accepted, each with its
    // xDLMS InitiateRequest / InitiateResponse in user-information.
    const aarq = roundTripHex(
      '60 36 A1 09 06 07 60 85 74 05 08 01 01 8A 02 07 80 8B 07 60 85 74 05 08 02 01 AC 0A 80 08 31 32 33 34 35 36 37 38' +
        ' BE 10 04 0E 01 00 00 00 06 5F 1F 04 00 00 7E 1F 04 B0',
    );
    assert.equal(aarq.type, 'aarq');
    const aare = roundTripHex(
      '61 29 A1 09 06 07 60 85 74 05 08 01 01 A2 03 02 01 00 A3 05 A1 03 02 01 00 BE 10 04 0E 08 00 06 5F 1F 04 00 00 18 1F 08 00 00 07',
    );
    assert.equal(describeApdu(aare), 'aare logical-name result 0');
    assert.equal(roundTripHex('01 00 00 00 06 5F 1F 04 00 00 7E 1F 04 B0').type, 'initiate-request');
    const ir = roundTripHex('08 00 06 5F 1F 04 00 00 18 1F 08 00 00 07');
    assert.equal(describeApdu(ir), 'initiate-response dlms 6 conformance 0x00181f max-pdu 2048');
  });

  it('names every tag once', () => {
    const values = Object.values(ApduTag);
    assert.equal(new Set(values).size, values.length);
    assert.equal(apduTagName(0xe0), 'generalBlockTransfer');
    assert.equal(apduTagName(0xc6), undefined);
  });

  it('refuses ciphered APDUs, telling to decipher first', () => {
    for (const tag of [0xc8, 0xcc, 0xd0, 0xd7, 0x21, 0x28, 0xdb, 0xdc, 0xdd, 0xdf]) {
      assertDlmsError(() => decodeApdu(Uint8Array.of(tag, 0x00, 0x00)), 'DLMS_ERR_TAG', 0, /ciphered.*decipher it first/);
    }
    assertDlmsError(() => decodeApdu(Uint8Array.of(ApduTag.gloGetResponse, 0x00)), 'DLMS_ERR_TAG', 0, /^glo-get-response \(0xCC\)/);
  });

  it('refuses unknown and unsupported tags at offset 0', () => {
    assertDlmsError(() => decodeApdu(Uint8Array.of(0x99, 0x01)), 'DLMS_ERR_TAG', 0, /unknown APDU tag 0x99/);
    assertDlmsError(() => decodeApdu(Uint8Array.of(ApduTag.readRequest, 0x01)), 'DLMS_ERR_TAG', 0, /readRequest.*not supported/);
    assertDlmsError(() => decodeApdu(new Uint8Array(0)), 'DLMS_ERR_TRUNCATED', 0);
  });

  it('reports unknown choices with their offsets', () => {
    assertDlmsError(() => decodeApdu(fromHex('C0 04 C1 00 00 00 01')), 'DLMS_ERR_TAG', 1, /Get-Request choice 4/);
    assertDlmsError(() => decodeApdu(fromHex('C4 01 C1 02 00')), 'DLMS_ERR_TAG', 3, /Get-Data-Result choice 2/);
    assertDlmsError(() => decodeApdu(fromHex('C4 02 C1 00 00 00 00 01 05 00')), 'DLMS_ERR_TAG', 8, /DataBlock-G result/);
    assertDlmsError(() => decodeApdu(fromHex('C4 00 C1 00')), 'DLMS_ERR_TAG', 1);
    assertDlmsError(() => decodeApdu(fromHex('C1 06 C1 00')), 'DLMS_ERR_TAG', 1, /Set-Request/);
    assertDlmsError(() => decodeApdu(fromHex('C5 06 C1 00')), 'DLMS_ERR_TAG', 1, /Set-Response/);
    assertDlmsError(() => decodeApdu(fromHex('C3 07 C1 00')), 'DLMS_ERR_TAG', 1, /Action-Request/);
    assertDlmsError(() => decodeApdu(fromHex('C7 05 C1 00')), 'DLMS_ERR_TAG', 1, /Action-Response/);
    assertDlmsError(() => decodeApdu(fromHex('C7 01 C1 00 01 07 00')), 'DLMS_ERR_TAG', 5, /Get-Data-Result/);
  });

  it('rejects a bad presence flag, trailing bytes and lengths beyond the input', () => {
    assertDlmsError(() => decodeApdu(fromHex('C0 01 C1 00 08 00 00 01 00 00 FF 02 02')), 'DLMS_ERR_VALUE', 12);
    assertDlmsError(() => decodeApdu(fromHex('C0 01 C1 00 08 00 00 01 00 00 FF 02 00 00')), 'DLMS_ERR_TRAILING', 13);
    assertDlmsError(() => decodeApdu(fromHex('E0 81 00 01 00 00 84 7F FF FF FF 00')), 'DLMS_ERR_LENGTH', 6);
    assertDlmsError(() => decodeApdu(fromHex('C0 03 C1 84 7F FF FF FF')), 'DLMS_ERR_LENGTH', 3);
  });

  it('throws only DlmsError when a fixture is cut at any byte', () => {
    for (const [name, hex] of ALL_FIXTURES) {
      const b = fromHex(hex);
      for (let n = 0; n < b.length; n++) {
        assert.throws(
          () => decodeApdu(b.subarray(0, n)),
          (e) => e instanceof DlmsError && (e.code === 'DLMS_ERR_TRUNCATED' || e.code === 'DLMS_ERR_LENGTH'),
          `${name} cut at ${n}`,
        );
      }
    }
  });

  it('throws only DlmsError on corrupted fixtures and random bytes', () => {
    const fixtures = ALL_FIXTURES.map(([, hex]) => fromHex(hex));
    fc.assert(
      fc.property(fc.constantFrom(...fixtures), fc.nat(), fc.integer({ min: 0, max: 255 }), (b, at, v) => {
        const c = b.slice();
        c[at % c.length] = v;
        decodesOrDlmsError(c);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.constantFrom(0xc0, 0xc1, 0xc3, 0xc4, 0xc5, 0xc7, 0x0f, 0xc2, 0xd8, 0x0e, 0xe0), fc.uint8Array({ maxLength: 64 }), (t, rest) =>
        decodesOrDlmsError(Uint8Array.of(t, ...rest)),
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses to encode values that do not fit their fields', () => {
    const attribute = { classId: 8, instanceId: new Uint8Array(5), attributeId: 2 };
    assertDlmsError(() => encodeApdu({ type: 'get-request-normal', invokeIdAndPriority: 0xc1, attribute }), 'DLMS_ERR_ENCODE');
    const big = { classId: 0x10000, instanceId: new Uint8Array(6), attributeId: 2 };
    assertDlmsError(() => encodeApdu({ type: 'get-request-normal', invokeIdAndPriority: 0xc1, attribute: big }), 'DLMS_ERR_ENCODE');
    assertDlmsError(() => encodeApdu({ type: 'get-request-next', invokeIdAndPriority: 0x100, blockNumber: 1 }), 'DLMS_ERR_ENCODE');
    assertDlmsError(() => encodeApdu({ type: 'confirmed-service-error', service: 0, error: 0, value: 0 }), 'DLMS_ERR_ENCODE');
  });
});

describe('round-trip properties', () => {
  for (const [type, arb] of Object.entries(arbApduByType)) {
    it(`${type}: decode(encode(x)) = x, and every prefix is an error`, () => {
      fc.assert(
        fc.property(arb as fc.Arbitrary<Apdu>, fc.nat(), (a, cut) => {
          const bytes = encodeApdu(a).slice();
          const back = decodeApdu(bytes);
          assert.deepEqual(back, a);
          assert.equal(toHex(encodeApdu(back)), toHex(bytes));
          assert.ok(describeApdu(back).startsWith(type));
          const n = cut % bytes.length;
          assert.throws(() => decodeApdu(bytes.subarray(0, n)), (e) => e instanceof DlmsError);
        }),
        { numRuns: 150 },
      );
    });
  }
});
