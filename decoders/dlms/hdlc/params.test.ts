import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../axdr/writer.js';
import { decodeFrame } from './frame.js';
import { decodeHdlcParameters, encodeHdlcParameters, HDLC_DEFAULT_PARAMETERS, negotiateHdlcParameters } from './params.js';
import { FOUR_BYTE_SESSION, GURUX_LN_SESSION, GURUX_SN_SESSION, TWO_BYTE_SESSION } from './fixtures.js';
import { assertDlmsError } from '../testkit.js';

test('published UA parameters decode (pastebin.com/Vvs6PqXK, 7HTFDmEv, gist knogi/d64dec10…)', () => {
  assert.deepEqual(decodeHdlcParameters(decodeFrame(GURUX_SN_SESSION.ua).info), { maxInfoTx: 128, maxInfoRx: 62, windowTx: 1, windowRx: 1 });
  assert.deepEqual(decodeHdlcParameters(decodeFrame(FOUR_BYTE_SESSION.ua).info), { maxInfoTx: 248, maxInfoRx: 62, windowTx: 1, windowRx: 1 });
  // 2-byte form of a value that would fit one byte
  assert.deepEqual(decodeHdlcParameters(decodeFrame(TWO_BYTE_SESSION.ua).info), { maxInfoTx: 128, maxInfoRx: 128, windowTx: 1, windowRx: 1 });
});

test('SNRM and UA information fields encode as published (pastebin.com/iKKsDimZ, 7HTFDmEv)', () => {
  const snrm = decodeFrame(GURUX_LN_SESSION.snrm).info;
  assert.equal(toHex(encodeHdlcParameters({ maxInfoTx: 1010, maxInfoRx: 1010 })), toHex(snrm));
  assert.deepEqual(decodeHdlcParameters(snrm), { maxInfoTx: 1010, maxInfoRx: 1010, windowTx: 1, windowRx: 1 });
  const ua = decodeFrame(GURUX_LN_SESSION.ua).info;
  assert.equal(toHex(encodeHdlcParameters({ maxInfoTx: 1010, maxInfoRx: 1010, windowTx: 1, windowRx: 1 })), toHex(ua));
  const gurux = decodeFrame(GURUX_SN_SESSION.ua).info;
  assert.equal(toHex(encodeHdlcParameters({ maxInfoTx: 128, maxInfoRx: 62, windowTx: 1, windowRx: 1 })), toHex(gurux));
  const four = decodeFrame(FOUR_BYTE_SESSION.snrm).info;
  assert.equal(toHex(encodeHdlcParameters({ maxInfoTx: 1500, maxInfoRx: 1500, windowTx: 1, windowRx: 1 })), toHex(four));
});

test('absent parameters take the defaults 128 / 1', () => {
  assert.deepEqual(decodeHdlcParameters(new Uint8Array(0)), HDLC_DEFAULT_PARAMETERS);
  assert.deepEqual(decodeHdlcParameters(fromHex('81 80 03 06 01 40')), { maxInfoTx: 128, maxInfoRx: 64, windowTx: 1, windowRx: 1 });
  assert.equal(encodeHdlcParameters({}).length, 0);
  // 4-byte values, unknown parameters and other groups are read past
  assert.deepEqual(
    decodeHdlcParameters(fromHex('81 80 0C 05 04 00 00 01 00 0A 01 FF 07 01 03 F0 02 AA BB')),
    { maxInfoTx: 256, maxInfoRx: 128, windowTx: 3, windowRx: 1 },
  );
});

test('negotiation: each direction takes the smaller of transmit and the peer receive', () => {
  // Client proposed nothing; the meter of pastebin.com/Vvs6PqXK answers tx 128 / rx 62.
  const client = negotiateHdlcParameters(HDLC_DEFAULT_PARAMETERS, { maxInfoTx: 128, maxInfoRx: 62, windowTx: 1, windowRx: 1 });
  assert.deepEqual(client, { maxInfoTx: 62, maxInfoRx: 128, windowTx: 1, windowRx: 1 });
  const server = negotiateHdlcParameters(
    { maxInfoTx: 1024, maxInfoRx: 512, windowTx: 7, windowRx: 2 },
    { maxInfoTx: 300, maxInfoRx: 2000, windowTx: 1, windowRx: 4 },
  );
  assert.deepEqual(server, { maxInfoTx: 1024, maxInfoRx: 300, windowTx: 4, windowRx: 1 });
  // The server's answer read back by the client gives the mirror image.
  assert.deepEqual(negotiateHdlcParameters({ maxInfoTx: 300, maxInfoRx: 2000, windowTx: 1, windowRx: 4 }, server), {
    maxInfoTx: 300,
    maxInfoRx: 1024,
    windowTx: 1,
    windowRx: 4,
  });
});

test('parameter errors carry codes and offsets', () => {
  assertDlmsError(() => decodeHdlcParameters(fromHex('82 80 00')), 'DLMS_ERR_HDLC_FORMAT', 0);
  assertDlmsError(() => decodeHdlcParameters(fromHex('81 80 09 05 01 80')), 'DLMS_ERR_LENGTH', 2);
  assertDlmsError(() => decodeHdlcParameters(fromHex('81 80 05 05 03 00 00 80')), 'DLMS_ERR_HDLC_FORMAT', 4);
  assertDlmsError(() => decodeHdlcParameters(fromHex('81 80 04 05 04 00 00')), 'DLMS_ERR_LENGTH', 4);
  assertDlmsError(() => decodeHdlcParameters(fromHex('81 80 03 07 01 08')), 'DLMS_ERR_VALUE', 5);
  assertDlmsError(() => decodeHdlcParameters(fromHex('81 80 03 05 01 00')), 'DLMS_ERR_VALUE', 5);
  assertDlmsError(() => decodeHdlcParameters(fromHex('81 80')), 'DLMS_ERR_TRUNCATED', 2);
  assert.throws(() => encodeHdlcParameters({ windowTx: 8 }), { code: 'DLMS_ERR_ENCODE' });
  assert.throws(() => encodeHdlcParameters({ maxInfoRx: 0 }), { code: 'DLMS_ERR_ENCODE' });
});
