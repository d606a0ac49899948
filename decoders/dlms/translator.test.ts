/**
 * `hes decode` turns published captures into the right values. Every capture here comes from a
 * fixture file that cites where it was published (see the imports).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AARE_FIXTURES } from './apdu/acse/aare/fixtures.js';
import { AARQ_FIXTURES } from './apdu/acse/aarq/fixtures.js';
import { DATA_NOTIFICATION_FIXTURES } from './apdu/xdlms/data-notification/fixtures.js';
import { GET_FIXTURES } from './apdu/xdlms/get/fixtures.js';
import { fromHex, toHex } from './axdr/writer.js';
import { DlmsError } from './errors.js';
import { GURUX_LN_SESSION } from './hdlc/fixtures.js';
import { encodeWpdu } from './wrapper/wpdu.js';
import { TABLE_40, GLO_INITIATE_REQUEST } from './security/service-ciphered/fixtures.js';
import { detectFraming, parseHexInput, translate, type TranslatedApdu } from './translator.js';

const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const apdu = (a: TranslatedApdu | undefined): Json => a?.apdu as Json;

test('HDLC session (Gurux LN capture): SNRM/UA negotiation, AARQ/AARE, GET of the object list', () => {
  const s = GURUX_LN_SESSION;
  const t = translate(concat(s.snrm, s.ua, s.aarq, s.aare, s.getRequest));
  assert.equal(t.framing, 'hdlc');
  const frames = t.frames as Json[];
  assert.deepEqual(frames.map((f) => f.type), ['SNRM', 'UA', 'I', 'I', 'I']);
  assert.equal(frames[0]!.direction, 'client-to-server');
  assert.equal(frames[1]!.direction, 'server-to-client');
  assert.equal(frames[1]!.parameters.maxInfoFieldTransmit ?? frames[1]!.parameters.maxInfoTx ?? frames[1]!.parameters.maxInformationFieldTransmit, 1010);
  assert.deepEqual(t.apdus.map((a) => apdu(a).type), ['aarq', 'aare', 'get-request-normal']);
  assert.equal(apdu(t.apdus[0]).applicationContextName.name, 'logical-name');
  assert.equal(apdu(t.apdus[1]).result, 0);
  const get = apdu(t.apdus[2]);
  assert.deepEqual(get.attribute, { classId: 15, instanceId: '0.0.40.0.0.255', attributeId: 2 });
});

test('bare APDU: GET with selective access by range on a load profile (u9n capture)', () => {
  const t = translate(parseHexInput(GET_FIXTURES.rangeRequest));
  assert.equal(t.framing, 'apdu');
  const get = apdu(t.apdus[0]);
  assert.equal(get.attribute.instanceId, '1.0.99.1.0.255');
  assert.equal(get.access.selector, 1);
  const range = get.access.parameters.structure;
  assert.equal(range[0].structure[1]['octet-string'], '0000010000FF');
  assert.match(range[1]['octet-string'] ? range[1].dateTime : '', /^2017-10-01T00:00:00/);
  assert.match(range[2].dateTime, /^2017-10-01T01:00:00/);
});

test('GET response with a clock value is shown as an ISO date-time', () => {
  const t = translate(parseHexInput(GET_FIXTURES.clockResponse));
  const r = apdu(t.apdus[0]);
  assert.equal(r.type, 'get-response-normal');
  assert.match(r.result['octet-string'] ? r.result.dateTime : r.result.value.dateTime, /^2021-01-24T14:48:57\.8/);
});

test('LLS AARQ (Green Book): password visible as the calling authentication value', () => {
  const t = translate(parseHexInput(AARQ_FIXTURES.lnLls));
  const aarq = apdu(t.apdus[0]);
  assert.equal(aarq.mechanismName.name, 'low');
  assert.equal(Buffer.from(aarq.callingAuthenticationValue.value, 'hex').toString(), '12345678');
});

test('HLS-GMAC association and a suite-0 ciphered GET (Green Book Table 40 keys) are deciphered', () => {
  // The capture: the ciphered AARQ carrying system title 4D4D4D0000BC614E, then the glo-get-request.
  const keys = { blockCipherKey: fromHex(TABLE_40.globalUnicastKey), authenticationKey: fromHex(TABLE_40.authenticationKey) };
  for (const mode of ['authentication', 'encryption', 'authenticatedEncryption'] as const) {
    const t = translate(fromHex(TABLE_40[mode]), { ...keys, systemTitle: fromHex(TABLE_40.systemTitle) });
    const a = t.apdus[0]!;
    assert.equal(a.ciphered?.deciphered, true, mode);
    assert.equal(a.ciphered?.invocationCounter, 0x01234567);
    assert.deepEqual(apdu(a).attribute, { classId: 8, instanceId: '0.0.1.0.0.255', attributeId: 2 });
  }
  // The Green Book glo-initiate-request: without the sender's system title it is reported, not guessed...
  const alone = translate(fromHex(GLO_INITIATE_REQUEST.ciphered), keys);
  assert.equal(alone.apdus[0]!.ciphered?.deciphered, false);
  assert.match(alone.apdus[0]!.ciphered?.reason ?? '', /system title/);
  // ...with it, the InitiateRequest and its dedicated key come out.
  const known = translate(fromHex(GLO_INITIATE_REQUEST.ciphered), { ...keys, systemTitle: fromHex(TABLE_40.systemTitle) });
  const initiate = apdu(known.apdus[0]);
  assert.equal(initiate.type, 'initiate-request');
  assert.equal(initiate.dedicatedKey, '00112233445566778899AABBCCDDEEFF');
  // A wrong key is reported on the APDU, not thrown.
  const wrong = translate(fromHex(TABLE_40.authenticatedEncryption), { ...keys, blockCipherKey: new Uint8Array(16), systemTitle: fromHex(TABLE_40.systemTitle) });
  assert.equal(wrong.apdus[0]!.ciphered?.deciphered, false);
});

test('ciphered AARQ/AARE with HLS-GMAC decode, the ciphered initiate kept when keys are absent', () => {
  const t = translate(parseHexInput(AARQ_FIXTURES.lnCipheredHlsGmac));
  const aarq = apdu(t.apdus.find((a) => apdu(a)?.type === 'aarq'));
  assert.equal(aarq.mechanismName.name, 'high-gmac');
  assert.equal(aarq.applicationContextName.name, 'logical-name-ciphering');
  assert.equal(aarq.callingApTitle.length, 16);
  const initiate = t.apdus.find((a) => a.ciphered);
  assert.equal(initiate?.ciphered?.tag, 'glo-initiate-request');
  assert.equal(initiate?.ciphered?.deciphered, false);
  const aare = apdu(translate(parseHexInput(AARE_FIXTURES.cipheredHlsGmac)).apdus.find((a) => apdu(a)?.type === 'aare'));
  assert.equal(aare.result, 0);
  assert.equal(aare.respondingApTitle.length, 16);
  assert.ok(aare.respondingAuthenticationValue, 'server challenge StoC present');
});

test('push DataNotification with a date-time', () => {
  const t = translate(parseHexInput(DATA_NOTIFICATION_FIXTURES.withDateTime));
  const n = apdu(t.apdus[0]);
  assert.equal(n.type, 'data-notification');
  assert.equal(t.apdus[0]!.direction, 'server-to-client');
  assert.equal(n.body.structure[0]['octet-string'], '0008190900FF');
});

test('wrapper framing is detected and the APDU decoded', () => {
  const wpdu = encodeWpdu(16, 1, parseHexInput(GET_FIXTURES.clockRequest));
  assert.equal(detectFraming(wpdu), 'wrapper');
  const t = translate(wpdu);
  assert.equal((t.frames[0] as Json).sourceWPort, 16);
  assert.equal(t.apdus[0]!.direction, 'client-to-server');
  assert.equal(apdu(t.apdus[0]).attribute.instanceId, '0.0.1.0.0.255');
});

test('GET-Response-With-Datablock blocks across frames are joined and decoded', () => {
  // Content: array of 3 double-long-unsigned, split into two blocks.
  const content = fromHex('01 03 06 00 00 00 01 06 00 00 00 02 06 00 00 00 03');
  const block = (last: boolean, n: number, part: Uint8Array): Uint8Array =>
    concat(fromHex(`C4 02 C1 ${last ? '01' : '00'} ${n.toString(16).padStart(8, '0')} 00`), Uint8Array.of(part.length), part);
  const a = encodeWpdu(1, 16, block(false, 1, content.subarray(0, 7)));
  const b = encodeWpdu(1, 16, block(true, 2, content.subarray(7)));
  const t = translate(concat(a, b));
  assert.equal(t.apdus.length, 2);
  const joined = t.reassembled[0] as Json;
  assert.equal(joined.bytes, content.length);
  assert.deepEqual(joined.data, { array: [{ 'double-long-unsigned': 1 }, { 'double-long-unsigned': 2 }, { 'double-long-unsigned': 3 }] });
});

test('undecodable input raises a DlmsError naming the offset', () => {
  assert.throws(() => translate(fromHex('C0 01')), (e: unknown) => e instanceof DlmsError && e.offset === 2);
  assert.throws(() => translate(new Uint8Array(0)), DlmsError);
  assert.throws(() => parseHexInput('C0 0G'), (e: unknown) => e instanceof DlmsError && /hex digit/.test(e.message));
  // A corrupted FCS in an HDLC frame.
  const bad = GURUX_LN_SESSION.getRequest.slice();
  bad[bad.length - 2]! ^= 0xff;
  assert.throws(() => translate(bad), (e: unknown) => e instanceof DlmsError && e.code === 'DLMS_ERR_HDLC_FCS');
  assert.equal(toHex(fromHex('7e')), '7E');
});
