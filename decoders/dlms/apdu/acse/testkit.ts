/**
 * Test-only helpers for the ACSE and initiate codecs: byte-level round trips, the "only DlmsError"
 * checks (truncation at every position, random mutations) and fast-check arbitraries. Imported by
 * the *.test.ts files only.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DlmsError } from '../../errors.js';
import { Reader } from '../../axdr/reader.js';
import { Writer, fromHex } from '../../axdr/writer.js';
import type { BitString } from '../../axdr/types.js';
import type { InitiateRequest, InitiateResponse } from '../xdlms/initiate/index.js';
import type { AcseUserInformation, AuthenticationValue } from './elements.js';
import { namedApplicationContext, namedMechanism } from './names.js';
import type { Aarq } from './aarq/aarq.js';
import type { Aare } from './aare/aare.js';
import type { Rlrq } from './rlrq/rlrq.js';
import type { Rlre } from './rlre/rlre.js';

export { assertDlmsError } from '../../testkit.js';

export type Decode<T> = (r: Reader) => T;
export type Encode<T> = (w: Writer, v: T) => void;

/** Decodes exactly one APDU that fills `bytes`. */
export function decodeAll<T>(decode: Decode<T>, bytes: Uint8Array | string): T {
  const r = new Reader(typeof bytes === 'string' ? fromHex(bytes) : bytes);
  const v = decode(r);
  r.done();
  return v;
}

export function encodeToBytes<T>(encode: Encode<T>, v: T): Uint8Array {
  const w = new Writer(16);
  encode(w, v);
  return w.toBytes();
}

/** Decoding must succeed or throw a DlmsError; anything else is a codec bug. */
export function decodesOrDlmsError<T>(decode: Decode<T>, bytes: Uint8Array): void {
  try {
    decodeAll(decode, bytes);
  } catch (e) {
    if (!(e instanceof DlmsError)) throw e;
  }
}

/**
 * Every strict prefix must throw a DlmsError. When the APDU starts with a BER header (ACSE), the
 * prefix is also re-wrapped with a matching outer length, so the cut lands inside the inner elements:
 * that must decode (cut on an element boundary) or throw a DlmsError.
 */
export function assertTruncationsFail<T>(decode: Decode<T>, bytes: Uint8Array, berHeader: boolean): void {
  for (let k = 0; k < bytes.length; k++) {
    assert.throws(() => decodeAll(decode, bytes.subarray(0, k)), DlmsError, `prefix of ${k} bytes`);
  }
  if (!berHeader) return;
  const header = new Reader(bytes, 1);
  header.length();
  for (let k = header.pos; k < bytes.length; k++) {
    const w = new Writer();
    w.u8(bytes[0]!).length(k - header.pos).bytes(bytes.subarray(header.pos, k));
    decodesOrDlmsError(decode, w.toBytes());
  }
}

/** Random single- and multi-byte corruptions of a valid APDU never throw anything but DlmsError. */
export function assertMutationsSafe<T>(decode: Decode<T>, bytes: Uint8Array): void {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.nat(255)), { minLength: 1, maxLength: 4 }), (edits) => {
      const b = bytes.slice();
      for (const [i, v] of edits) b[i] = v;
      decodesOrDlmsError(decode, b);
    }),
    { numRuns: 500 },
  );
}

/** decode(encode(v)) equals v, and encode(decode(bytes)) gives the same bytes back. */
export function assertRoundTrip<T>(decode: Decode<T>, encode: Encode<T>, v: T): void {
  const bytes = encodeToBytes(encode, v);
  const back = decodeAll(decode, bytes);
  assert.deepEqual(back, v);
  assert.deepEqual(encodeToBytes(encode, back), bytes);
}

// ---- arbitraries ----

const berInteger = fc.oneof(fc.integer(), fc.bigInt({ min: -(2n ** 47n), max: 2n ** 47n - 1n }).map(Number));

export const bitStringArb: fc.Arbitrary<BitString> = fc
  .tuple(fc.uint8Array({ maxLength: 4 }), fc.nat(7))
  .map(([bytes, unused]) => ({ bytes, length: bytes.length * 8 - (bytes.length ? unused : 0) }));

const oidArb = fc
  .tuple(fc.nat(2), fc.nat(39), fc.nat(100_000), fc.array(fc.nat(0x7fffffff), { maxLength: 8 }))
  .map(([x, y, y2, rest]) => [x, x < 2 ? y : y2, ...rest].join('.'));

/** Known DLMS contexts/mechanisms, and arbitrary OIDs (named when they happen to be known). */
const applicationContextArb = fc.oneof(
  fc.integer({ min: 1, max: 4 }).map((id) => namedApplicationContext(`2.16.756.5.8.1.${id}`)),
  oidArb.map(namedApplicationContext),
);
const mechanismArb = fc.oneof(
  fc.integer({ min: 0, max: 7 }).map((id) => namedMechanism(`2.16.756.5.8.2.${id}`)),
  oidArb.map(namedMechanism),
);

const authenticationValueArb: fc.Arbitrary<AuthenticationValue> = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((value) => ({ kind: 'charstring' as const, value })),
  bitStringArb.map((value) => ({ kind: 'bitstring' as const, value })),
);

const latin1Arb = fc.string({ unit: fc.nat(255).map((c) => String.fromCharCode(c)), maxLength: 40 });

export const conformanceArb = fc.nat(0xffffff);

export const initiateRequestArb: fc.Arbitrary<InitiateRequest> = fc.record(
  {
    type: fc.constant('initiate-request' as const),
    dedicatedKey: fc.uint8Array({ maxLength: 32 }),
    responseAllowed: fc.boolean(),
    proposedQualityOfService: fc.integer({ min: -128, max: 127 }),
    proposedDlmsVersionNumber: fc.nat(255),
    proposedConformance: conformanceArb,
    clientMaxReceivePduSize: fc.nat(0xffff),
  },
  { noNullPrototype: true, requiredKeys: ['type', 'responseAllowed', 'proposedDlmsVersionNumber', 'proposedConformance', 'clientMaxReceivePduSize'] },
);

export const initiateResponseArb: fc.Arbitrary<InitiateResponse> = fc.record(
  {
    type: fc.constant('initiate-response' as const),
    negotiatedQualityOfService: fc.integer({ min: -128, max: 127 }),
    negotiatedDlmsVersionNumber: fc.nat(255),
    negotiatedConformance: conformanceArb,
    serverMaxReceivePduSize: fc.nat(0xffff),
    vaaName: fc.nat(0xffff),
  },
  { noNullPrototype: true, requiredKeys: ['type', 'negotiatedDlmsVersionNumber', 'negotiatedConformance', 'serverMaxReceivePduSize', 'vaaName'] },
);

/** A raw xDLMS APDU (ciphered initiate, confirmed-service-error, ...) not starting with the plain initiate tag. */
function rawUserInformationArb(plainTag: number): fc.Arbitrary<AcseUserInformation> {
  return fc
    .uint8Array({ minLength: 1, maxLength: 200 })
    .filter((b) => b[0] !== plainTag)
    .map((apdu) => ({ type: 'raw' as const, apdu }));
}

const requestUserInformationArb = fc.oneof(initiateRequestArb, rawUserInformationArb(0x01));
const responseUserInformationArb = fc.oneof(initiateResponseArb, rawUserInformationArb(0x08));

/** Long enough at times to need long-form BER lengths (a certificate in an AE-qualifier). */
const octetsArb = fc.oneof(fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.uint8Array({ maxLength: 300 }));

export const aarqArb: fc.Arbitrary<Aarq> = fc.record(
  {
    type: fc.constant('aarq' as const),
    protocolVersion: bitStringArb,
    applicationContextName: applicationContextArb,
    calledApTitle: octetsArb,
    calledAeQualifier: octetsArb,
    calledApInvocationId: berInteger,
    calledAeInvocationId: berInteger,
    callingApTitle: octetsArb,
    callingAeQualifier: octetsArb,
    callingApInvocationId: berInteger,
    callingAeInvocationId: berInteger,
    senderAcseRequirements: fc.record({ authentication: fc.boolean() }, { noNullPrototype: true }),
    mechanismName: mechanismArb,
    callingAuthenticationValue: authenticationValueArb,
    implementationInformation: latin1Arb,
    userInformation: requestUserInformationArb,
  },
  { noNullPrototype: true, requiredKeys: ['type', 'applicationContextName'] },
);

export const aareArb: fc.Arbitrary<Aare> = fc.record(
  {
    type: fc.constant('aare' as const),
    protocolVersion: bitStringArb,
    applicationContextName: applicationContextArb,
    result: berInteger,
    resultSourceDiagnostic: fc.record({
      source: fc.constantFrom('acse-service-user' as const, 'acse-service-provider' as const),
      code: berInteger,
    }, { noNullPrototype: true }),
    respondingApTitle: octetsArb,
    respondingAeQualifier: octetsArb,
    respondingApInvocationId: berInteger,
    respondingAeInvocationId: berInteger,
    responderAcseRequirements: fc.record({ authentication: fc.boolean() }, { noNullPrototype: true }),
    mechanismName: mechanismArb,
    respondingAuthenticationValue: authenticationValueArb,
    implementationInformation: latin1Arb,
    userInformation: responseUserInformationArb,
  },
  { noNullPrototype: true, requiredKeys: ['type', 'applicationContextName', 'result', 'resultSourceDiagnostic'] },
);

export const rlrqArb: fc.Arbitrary<Rlrq> = fc.record(
  { type: fc.constant('rlrq' as const), reason: berInteger, userInformation: requestUserInformationArb },
  { noNullPrototype: true, requiredKeys: ['type'] },
);

export const rlreArb: fc.Arbitrary<Rlre> = fc.record(
  { type: fc.constant('rlre' as const), reason: berInteger, userInformation: responseUserInformationArb },
  { noNullPrototype: true, requiredKeys: ['type'] },
);
