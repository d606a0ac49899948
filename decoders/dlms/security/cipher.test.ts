import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DlmsError } from '../errors.js';
import { fromHex, toHex } from '../axdr/writer.js';
import {
  decipherApdu,
  decodeSecurityControl,
  encipherApdu,
  ReplayGuard,
  wrapKey,
  type CipherParams,
  type DecipherParams,
  type Protection,
  type SecurityKeys,
} from './index.js';
import { GLO_INITIATE_REQUEST, TABLE_40 } from './service-ciphered/fixtures.js';
import { assertDlmsError } from '../testkit.js';

const SERVER_TITLE = fromHex(TABLE_40.systemTitle);
const CLIENT_TITLE = fromHex('4D4D4D0000000001');
const KEYS: SecurityKeys = {
  globalUnicastKey: fromHex(TABLE_40.globalUnicastKey),
  globalBroadcastKey: fromHex('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'),
  dedicatedKey: fromHex('00112233445566778899AABBCCDDEEFF'),
  authenticationKey: fromHex(TABLE_40.authenticationKey),
  masterKey: fromHex('0F0E0D0C0B0A09080706050403020100'),
  presharedKey: fromHex('101112131415161718191A1B1C1D1E1F'),
};
const MODES: Protection[] = ['authentication', 'encryption', 'authenticated-encryption'];
const PLAIN = fromHex(TABLE_40.plain);

/** Only a DlmsError may come out of deciphering any input. */
function onlyDlmsErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof DlmsError)) throw e;
  }
}

function encipher(plain: Uint8Array, over: Partial<CipherParams> = {}): Uint8Array {
  return encipherApdu(plain, { keys: KEYS, systemTitle: SERVER_TITLE, invocationCounter: TABLE_40.invocationCounter, protection: 'authenticated-encryption', ...over });
}

function decipher(ciphered: Uint8Array, over: Partial<DecipherParams> = {}) {
  return decipherApdu(ciphered, { keys: KEYS, systemTitle: SERVER_TITLE, required: 'none', ...over });
}

// Green Book Table 40 (see service-ciphered/fixtures.ts for the sources).
test('Green Book Table 40: glo-get-request in the three protection modes', () => {
  const expected = { authentication: TABLE_40.authentication, encryption: TABLE_40.encryption, 'authenticated-encryption': TABLE_40.authenticatedEncryption };
  for (const protection of MODES) {
    assert.equal(toHex(encipher(PLAIN, { protection })), expected[protection], protection);
    const out = decipher(fromHex(expected[protection]));
    assert.deepEqual(out.apdu, PLAIN);
    assert.equal(out.invocationCounter, 0x01234567);
    assert.equal(out.key, 'global-unicast');
    assert.deepEqual(out.systemTitle, SERVER_TITLE);
    const sc = decodeSecurityControl(out.securityControl);
    assert.equal(sc.authenticated, protection !== 'encryption');
    assert.equal(sc.encrypted, protection !== 'authentication');
    assert.equal(sc.suite, 0);
  }
});

test('Green Book glo-initiate-request (0x21) carrying the dedicated key', () => {
  const plain = fromHex(GLO_INITIATE_REQUEST.plain);
  assert.equal(toHex(encipher(plain)), GLO_INITIATE_REQUEST.ciphered);
  assert.deepEqual(decipher(fromHex(GLO_INITIATE_REQUEST.ciphered)).apdu, plain);
});

const SERVICE_TAGS: Array<[plain: number, glo: number, ded: number]> = [
  [0x01, 0x21, 0x41], [0x05, 0x25, 0x45], [0x06, 0x26, 0x46], [0x08, 0x28, 0x48], [0x0c, 0x2c, 0x4c],
  [0x0d, 0x2d, 0x4d], [0x0e, 0x2e, 0x4e], [0x16, 0x36, 0x56], [0x18, 0x38, 0x58],
  [0xc0, 0xc8, 0xd0], [0xc1, 0xc9, 0xd1], [0xc2, 0xca, 0xd2], [0xc3, 0xcb, 0xd3],
  [0xc4, 0xcc, 0xd4], [0xc5, 0xcd, 0xd5], [0xc7, 0xcf, 0xd7],
];

test('round trip: every service tag x key x protection mode picks the right ciphered tag', () => {
  const keyKinds = ['global-unicast', 'global-broadcast', 'dedicated'] as const;
  for (const [plainTag, glo, ded] of SERVICE_TAGS) {
    const plain = Uint8Array.of(plainTag, 0x81, 0x00, 0x01, 0x02, 0x03);
    for (const key of keyKinds) {
      for (const protection of MODES) {
        const ciphered = encipher(plain, { key, protection, invocationCounter: 7 });
        assert.equal(ciphered[0], key === 'dedicated' ? ded : glo);
        assert.equal(decodeSecurityControl(ciphered[2]!).broadcastKey, key === 'global-broadcast');
        const out = decipher(ciphered);
        assert.deepEqual(out.apdu, plain);
        assert.equal(out.key, key);
        assert.equal(out.invocationCounter, 7);
      }
    }
  }
});

test('general-glo-ciphering and general-ded-ciphering carry the sender system title', () => {
  const dataNotification = fromHex('0F0000000100090102'); // no service-specific tag exists for it
  assertDlmsError(() => encipher(dataNotification), 'DLMS_ERR_ENCODE');
  for (const [key, tag] of [['global-unicast', 0xdb], ['global-broadcast', 0xdb], ['dedicated', 0xdc]] as const) {
    for (const protection of MODES) {
      const ciphered = encipher(dataNotification, { envelope: 'general', key, protection, systemTitle: CLIENT_TITLE });
      assert.equal(ciphered[0], tag);
      assert.deepEqual(ciphered.subarray(1, 10), Uint8Array.of(8, ...CLIENT_TITLE));
      const out = decipher(ciphered, { systemTitle: undefined });
      assert.deepEqual(out.apdu, dataNotification);
      assert.deepEqual(out.systemTitle, CLIENT_TITLE);
      assert.equal(out.key, key);
      assertDlmsError(() => decipher(ciphered, { systemTitle: SERVER_TITLE }), 'DLMS_ERR_SECURITY', 0);
    }
  }
});

const GC = { transactionId: fromHex('0102030405060708'), recipientSystemTitle: CLIENT_TITLE };

test('general-ciphering: pre-shared, identified, wrapped keys; agreed-key refused', () => {
  const dataKey = fromHex('505152535455565758595A5B5C5D5E5F');
  const envelopes = [
    { envelope: GC, key: 'preshared' },
    { envelope: { ...GC, keyInfo: { type: 'identified-key' as const, keyId: 0 } }, key: 'global-unicast' },
    { envelope: { ...GC, keyInfo: { type: 'identified-key' as const, keyId: 1 } }, key: 'global-broadcast' },
    { envelope: { ...GC, dateTime: fromHex('07E6011AFF0C0000FF800000'), otherInformation: fromHex('AB'), keyInfo: { type: 'wrapped-key' as const, kekId: 0, keyCipheredData: wrapKey(KEYS.masterKey!, dataKey) } }, key: 'wrapped' },
  ];
  for (const { envelope, key } of envelopes) {
    for (const protection of MODES) {
      const ciphered = encipher(PLAIN, { envelope, protection });
      assert.equal(ciphered[0], 0xdd);
      const out = decipher(ciphered, { systemTitle: undefined, ownSystemTitle: CLIENT_TITLE });
      assert.deepEqual(out.apdu, PLAIN, `${key} ${protection}`);
      assert.equal(out.key, key);
      assert.deepEqual(out.systemTitle, SERVER_TITLE);
      assertDlmsError(() => decipher(ciphered, { systemTitle: undefined, ownSystemTitle: SERVER_TITLE }), 'DLMS_ERR_SECURITY');
    }
  }
  const agreed = { ...GC, keyInfo: { type: 'agreed-key' as const, keyParameters: Uint8Array.of(1), keyCipheredData: new Uint8Array(128) } };
  assertDlmsError(() => encipher(PLAIN, { envelope: agreed }), 'DLMS_ERR_SECURITY', undefined, /agreed-key/);
  assertDlmsError(() => encipher(PLAIN, { envelope: GC, keys: { ...KEYS, presharedKey: undefined } }), 'DLMS_ERR_SECURITY');
});

test('general-ciphering: the header fields are authenticated, the wrapped key is integrity checked', () => {
  const ciphered = encipher(PLAIN, { envelope: GC, protection: 'authenticated-encryption' });
  const tampered = ciphered.slice();
  tampered[2] ^= 0x01; // a transaction-id byte: not encrypted, but in the AAD
  assertDlmsError(() => decipher(tampered, { systemTitle: undefined }), 'DLMS_ERR_SECURITY', undefined, /authentication tag mismatch/);
  const wrapped = encipher(PLAIN, { envelope: { ...GC, keyInfo: { type: 'wrapped-key', kekId: 0, keyCipheredData: wrapKey(KEYS.masterKey!, KEYS.presharedKey!) } } });
  // DD | 3 x (08 | 8 bytes) | 00 | 00 | 01 present | 01 wrapped-key | 00 kek-id | 18 | key-ciphered-data
  assert.equal(wrapped[33], 24);
  wrapped[33 + 5] ^= 0x40;
  assertDlmsError(() => decipher(wrapped, { systemTitle: undefined }), 'DLMS_ERR_SECURITY', undefined, /unwrap/);
});

/** Each envelope in each authenticated mode, with the offset of its security control byte. */
interface Sample {
  name: string;
  ciphered: Uint8Array;
  sc: number;
  protection: Protection;
  /** Byte ranges of system titles and transaction-id values. */
  titles?: Array<[number, number]>;
}

function protectedSamples(): Sample[] {
  const out: Sample[] = [];
  for (const protection of ['authentication', 'authenticated-encryption'] as const) {
    out.push({ name: `glo ${protection}`, ciphered: encipher(PLAIN, { protection }), sc: 2, protection });
    out.push({ name: `ded ${protection}`, ciphered: encipher(PLAIN, { protection, key: 'dedicated' }), sc: 2, protection });
    out.push({ name: `general-glo ${protection}`, ciphered: encipher(PLAIN, { protection, envelope: 'general' }), sc: 1 + 9 + 1, protection, titles: [[2, 10]] });
    // DD | 3 x (08 | title or id) | 00 date-time | 00 other-information | 00 no key-info | length
    out.push({ name: `general-ciphering ${protection}`, ciphered: encipher(PLAIN, { protection, envelope: GC }), sc: 1 + 27 + 3 + 1, protection, titles: [[2, 10], [11, 19], [20, 28]] });
  }
  return out;
}

test('tamper: every single-bit flip is refused, and from the security header on as DLMS_ERR_SECURITY', () => {
  for (const { name, ciphered, sc, protection, titles = [] } of protectedSamples()) {
    const systemTitle = name.startsWith('general') ? undefined : SERVER_TITLE;
    for (let i = 0; i < ciphered.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const tampered = ciphered.slice();
        tampered[i] ^= 1 << bit;
        let error: unknown;
        try {
          decipher(tampered, { required: protection, systemTitle });
        } catch (e) {
          error = e;
        }
        assert.ok(error instanceof DlmsError, `${name}: flipping bit ${bit} of byte ${i} was accepted`);
        // Before SC, a flip changes the envelope (tag, lengths): any codec error will do. The values
        // of system titles and transaction-id are in the IV or the AAD, so they fail as security too.
        if (i >= sc || titles.some(([from, to]) => i >= from && i < to)) {
          assert.equal(error.code, 'DLMS_ERR_SECURITY', `${name}: byte ${i} bit ${bit}: ${error.message}`);
        }
      }
    }
  }
});

test('wrong keys and unusable key material are DLMS_ERR_SECURITY, never a crypto exception', () => {
  const ae = fromHex(TABLE_40.authenticatedEncryption);
  const other = fromHex('FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF');
  assertDlmsError(() => decipher(ae, { keys: { ...KEYS, globalUnicastKey: other } }), 'DLMS_ERR_SECURITY', 20, /tag mismatch/);
  assertDlmsError(() => decipher(ae, { keys: { ...KEYS, authenticationKey: other } }), 'DLMS_ERR_SECURITY');
  assertDlmsError(() => decipher(fromHex(TABLE_40.authentication), { keys: { ...KEYS, authenticationKey: other } }), 'DLMS_ERR_SECURITY');
  assertDlmsError(() => decipher(ae, { systemTitle: CLIENT_TITLE }), 'DLMS_ERR_SECURITY');
  assertDlmsError(() => decipher(ae, { keys: { ...KEYS, authenticationKey: undefined } }), 'DLMS_ERR_SECURITY', undefined, /authentication key/);
  assertDlmsError(() => decipher(ae, { keys: { ...KEYS, globalUnicastKey: fromHex('0001') } }), 'DLMS_ERR_SECURITY', undefined, /16-byte/);
  assertDlmsError(() => decipher(ae, { keys: { authenticationKey: KEYS.authenticationKey } }), 'DLMS_ERR_SECURITY', undefined, /no global-unicast key/);
  assertDlmsError(() => decipher(ae, { systemTitle: fromHex('0102') }), 'DLMS_ERR_SECURITY', undefined, /system title/);
  assertDlmsError(() => decipher(ae, { systemTitle: undefined }), 'DLMS_ERR_SECURITY', 0, /peer system title/);
  assertDlmsError(() => encipher(PLAIN, { keys: { ...KEYS, dedicatedKey: undefined }, key: 'dedicated' }), 'DLMS_ERR_SECURITY');
  assertDlmsError(() => encipher(PLAIN, { systemTitle: fromHex('01') }), 'DLMS_ERR_SECURITY');
  assertDlmsError(() => encipher(PLAIN, { suite: 3 }), 'DLMS_ERR_SECURITY');
  assertDlmsError(() => encipher(PLAIN, { invocationCounter: 2 ** 32 }), 'DLMS_ERR_ENCODE');
  assertDlmsError(() => encipher(PLAIN, { invocationCounter: -1 }), 'DLMS_ERR_ENCODE');
  assertDlmsError(() => encipher(new Uint8Array(0)), 'DLMS_ERR_ENCODE');
});

test('security suite 2 uses AES-GCM-256 with 32-byte keys', () => {
  const keys = { globalUnicastKey: new Uint8Array(32).fill(7), authenticationKey: new Uint8Array(32).fill(9) };
  const ciphered = encipher(PLAIN, { keys, suite: 2 });
  assert.equal(decodeSecurityControl(ciphered[2]!).suite, 2);
  assert.deepEqual(decipher(ciphered, { keys }).apdu, PLAIN);
  assertDlmsError(() => decipher(ciphered), 'DLMS_ERR_SECURITY');
});

test('required protection: a stripped authentication bit is refused by default', () => {
  const encryptionOnly = fromHex(TABLE_40.encryption);
  assertDlmsError(() => decipherApdu(encryptionOnly, { keys: KEYS, systemTitle: SERVER_TITLE }), 'DLMS_ERR_SECURITY', 2, /less protection/);
  assert.deepEqual(decipherApdu(encryptionOnly, { keys: KEYS, systemTitle: SERVER_TITLE, required: 'encryption' }).apdu, PLAIN);
  assertDlmsError(() => decipher(fromHex(TABLE_40.authentication), { required: 'authenticated-encryption' }), 'DLMS_ERR_SECURITY');
  assert.deepEqual(decipher(fromHex(TABLE_40.authenticatedEncryption), { required: 'authenticated-encryption' }).apdu, PLAIN);
});

test('replay guard: a counter is accepted once, and only after the APDU proved authentic', () => {
  const guard = new ReplayGuard();
  const first = encipher(PLAIN, { invocationCounter: 10 });
  const second = encipher(PLAIN, { invocationCounter: 11 });
  decipher(first, { replayGuard: guard });
  assertDlmsError(() => decipher(first, { replayGuard: guard }), 'DLMS_ERR_REPLAY');
  // A forged APDU with a high counter must not move the guard.
  const forged = encipher(PLAIN, { invocationCounter: 1000 });
  forged[forged.length - 1] ^= 1;
  assertDlmsError(() => decipher(forged, { replayGuard: guard }), 'DLMS_ERR_SECURITY');
  assert.equal(decipher(second, { replayGuard: guard }).invocationCounter, 11);
  assert.equal(guard.last(SERVER_TITLE, 'global-unicast'), 11);
  // Counters are per key: the dedicated key starts afresh.
  decipher(encipher(PLAIN, { invocationCounter: 1, key: 'dedicated' }), { replayGuard: guard });
  assertDlmsError(() => decipher(first, { replayGuard: new ReplayGuard(guard.exportState()) }), 'DLMS_ERR_REPLAY');
});

test('a ciphered tag must carry its own service; other tags are refused', () => {
  const ciphered = encipher(PLAIN);
  const asSet = ciphered.slice();
  asSet[0] = 0xc9; // glo-set-request around a get-request
  assertDlmsError(() => decipher(asSet), 'DLMS_ERR_TAG', 7);
  assertDlmsError(() => decipher(PLAIN), 'DLMS_ERR_TAG', 0);
  assertDlmsError(() => decipher(fromHex('DF0000000000000000')), 'DLMS_ERR_SECURITY', 0);
  assertDlmsError(() => decipher(Uint8Array.of(...ciphered, 0)), 'DLMS_ERR_TRAILING', ciphered.length);
});

test('truncated inputs throw only DlmsError', () => {
  const samples = [...protectedSamples().map((s) => s.ciphered), fromHex(TABLE_40.encryption), fromHex(GLO_INITIATE_REQUEST.ciphered)];
  for (const ciphered of samples) {
    for (let n = 0; n < ciphered.length; n++) {
      assert.throws(() => decipher(ciphered.subarray(0, n), { systemTitle: ciphered[0] === 0xdb || ciphered[0] === 0xdd ? undefined : SERVER_TITLE }), DlmsError, `prefix ${n} of ${toHex(ciphered)}`);
    }
  }
  assertDlmsError(() => decipher(fromHex('C800')), 'DLMS_ERR_TRUNCATED', 2);
  assertDlmsError(() => decipher(fromHex('C8021001')), 'DLMS_ERR_TRUNCATED', 2);
  assertDlmsError(() => decipher(fromHex('C8061001234567C0')), 'DLMS_ERR_TRUNCATED', 7);
});

test('fuzz: random and mutated inputs throw only DlmsError', () => {
  const seeds = protectedSamples().map((s) => s.ciphered);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(seeds.length - 1), fc.boolean(), (noise, pick, mutate) => {
      const input = mutate ? seeds[pick]!.map((b, i) => b ^ (noise[i % Math.max(1, noise.length)] ?? 0)) : noise;
      onlyDlmsErrors(() => decipher(input));
      onlyDlmsErrors(() => decipher(input, { systemTitle: undefined }));
    }),
    { numRuns: 3000 },
  );
});
