import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../axdr/writer.js';
import {
  generateChallenge,
  hlsGmac,
  hlsGmacResponse,
  llsAuthenticationValue,
  verifyHlsGmacResponse,
  verifyLlsPassword,
  type HlsContext,
} from './index.js';
import { assertDlmsError } from '../testkit.js';

/**
 * Green Book (DLMS UA 1000-2) Table 43, "HLS example with GMAC" (ed. 7 Amendment 2 Table 18),
 * reproduced in u9n/dlms-cosem tests/test_security.py (test_gmac) and rodroy/Jdlms2
 * jdlms/src/test/java/org/openmuc/jdlms/GmacTest.java.
 */
const EK = fromHex('000102030405060708090A0B0C0D0E0F');
const AK = fromHex('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF');
const CLIENT_TITLE = fromHex('4D4D4D0000000001');
const SERVER_TITLE = fromHex('4D4D4D0000BC614E');
const CTOS = new TextEncoder().encode('K56iVagY'); // 4B35366956616759
const STOC = new TextEncoder().encode('P6wRJ21F'); // 503677524A323146
const F_STOC = '10000000011A52FE7DD3E72748973C1E28';
const F_CTOS = '1001234567FE1466AFB3DBCD4F9389E2B7';

test('Green Book Table 43: f(StoC) by the client and f(CtoS) by the server', () => {
  assert.equal(toHex(CTOS), '4B35366956616759');
  assert.equal(toHex(STOC), '503677524A323146');
  const client = { systemTitle: CLIENT_TITLE, invocationCounter: 1, encryptionKey: EK, authenticationKey: AK };
  const server = { systemTitle: SERVER_TITLE, invocationCounter: 0x01234567, encryptionKey: EK, authenticationKey: AK };
  assert.equal(toHex(hlsGmacResponse(STOC, client)), F_STOC);
  assert.equal(toHex(hlsGmacResponse(CTOS, server)), F_CTOS);
  // The server checks the client's answer with the client's system title, and vice versa.
  assert.deepEqual(verifyHlsGmacResponse(fromHex(F_STOC), STOC, { ...client }), { invocationCounter: 1 });
  assert.deepEqual(verifyHlsGmacResponse(fromHex(F_CTOS), CTOS, { ...server }), { invocationCounter: 0x01234567 });
});

test('HLS-GMAC verification refuses every altered answer, wrong keys and wrong challenges', () => {
  const p = { systemTitle: SERVER_TITLE, encryptionKey: EK, authenticationKey: AK };
  const good = fromHex(F_CTOS);
  for (let i = 0; i < good.length; i++) {
    const bad = good.slice();
    bad[i] ^= 0x01;
    assertDlmsError(() => verifyHlsGmacResponse(bad, CTOS, p), 'DLMS_ERR_SECURITY');
  }
  assertDlmsError(() => verifyHlsGmacResponse(good, STOC, p), 'DLMS_ERR_SECURITY');
  assertDlmsError(() => verifyHlsGmacResponse(good, CTOS, { ...p, systemTitle: CLIENT_TITLE }), 'DLMS_ERR_SECURITY');
  assertDlmsError(() => verifyHlsGmacResponse(good, CTOS, { ...p, authenticationKey: EK }), 'DLMS_ERR_SECURITY');
  assertDlmsError(() => verifyHlsGmacResponse(good.subarray(0, 16), CTOS, p), 'DLMS_ERR_SECURITY');
  assertDlmsError(() => verifyHlsGmacResponse(new Uint8Array(0), CTOS, p), 'DLMS_ERR_SECURITY');
  assertDlmsError(() => verifyHlsGmacResponse(good, CTOS, { ...p, encryptionKey: fromHex('00') }), 'DLMS_ERR_SECURITY');
  assertDlmsError(() => hlsGmacResponse(CTOS, { ...p, invocationCounter: 2 ** 32 }), 'DLMS_ERR_ENCODE');
});

test('the mechanism hook runs both passes of the exchange', () => {
  const client: HlsContext = { systemTitle: CLIENT_TITLE, peerSystemTitle: SERVER_TITLE, invocationCounter: 1, encryptionKey: EK, authenticationKey: AK };
  const server: HlsContext = { systemTitle: SERVER_TITLE, peerSystemTitle: CLIENT_TITLE, invocationCounter: 0x01234567, encryptionKey: EK, authenticationKey: AK };
  assert.equal(hlsGmac.mechanismId, 5);
  const fStoC = hlsGmac.respond(STOC, client);
  assert.equal(toHex(fStoC), F_STOC);
  assert.deepEqual(hlsGmac.verify(fStoC, STOC, server), { invocationCounter: 1 });
  const fCtoS = hlsGmac.respond(CTOS, server);
  assert.deepEqual(hlsGmac.verify(fCtoS, CTOS, client), { invocationCounter: 0x01234567 });
  assertDlmsError(() => hlsGmac.verify(fCtoS, CTOS, server), 'DLMS_ERR_SECURITY');
});

test('challenges come from the given random source, 8 to 64 octets', () => {
  let calls = 0;
  const source = (n: number): Uint8Array => {
    calls++;
    return Uint8Array.from({ length: n }, (_, i) => i);
  };
  assert.deepEqual(generateChallenge(source), Uint8Array.from({ length: 16 }, (_, i) => i));
  assert.equal(generateChallenge(source, 8).length, 8);
  assert.equal(generateChallenge(source, 64).length, 64);
  assert.equal(calls, 3);
  for (const bad of [7, 65, 0, 8.5]) assertDlmsError(() => generateChallenge(source, bad), 'DLMS_ERR_VALUE');
  assertDlmsError(() => generateChallenge(() => new Uint8Array(4), 8), 'DLMS_ERR_VALUE');
});

test('LLS: the password is the authentication value, checked without early exit', () => {
  assert.equal(toHex(llsAuthenticationValue('12345678')), '3132333435363738');
  const raw = fromHex('00FF10');
  assert.equal(llsAuthenticationValue(raw), raw);
  const secret = llsAuthenticationValue('12345678');
  assert.equal(verifyLlsPassword(llsAuthenticationValue('12345678'), secret), true);
  assert.equal(verifyLlsPassword(llsAuthenticationValue('12345679'), secret), false);
  assert.equal(verifyLlsPassword(llsAuthenticationValue('1234567'), secret), false);
  assert.equal(verifyLlsPassword(llsAuthenticationValue('123456789'), secret), false);
  assert.equal(verifyLlsPassword(new Uint8Array(0), secret), false);
});
