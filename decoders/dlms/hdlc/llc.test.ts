import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../axdr/writer.js';
import { decodeFrame } from './frame.js';
import { addLlc, stripLlc } from './llc.js';
import { GURUX_LN_SESSION } from './fixtures.js';

test('LLC headers of a published AARQ / AARE exchange (pastebin.com/iKKsDimZ)', () => {
  const aarq = decodeFrame(GURUX_LN_SESSION.aarq).info;
  const apdu = stripLlc(aarq, 'command');
  assert.equal(toHex(apdu.subarray(0, 2)), '601D');
  assert.equal(apdu.buffer, GURUX_LN_SESSION.aarq.buffer, 'a view, not a copy');
  assert.equal(toHex(addLlc(apdu, 'command')), toHex(aarq));
  const aare = decodeFrame(GURUX_LN_SESSION.aare).info;
  assert.equal(toHex(stripLlc(aare, 'response').subarray(0, 4)), '61820029');
});

test('a missing or wrong LLC header is an error with the offset', () => {
  assert.throws(() => stripLlc(fromHex('E6 E6 00 C0'), 'response'), { code: 'DLMS_ERR_HDLC_FORMAT', offset: 1 });
  assert.throws(() => stripLlc(fromHex('E6 E7 01 C4'), 'response'), { code: 'DLMS_ERR_HDLC_FORMAT', offset: 2 });
  assert.throws(() => stripLlc(fromHex('60 1D'), 'command'), { code: 'DLMS_ERR_TRUNCATED' });
  assert.equal(toHex(addLlc(fromHex('C4'), 'response')), 'E6E700C4');
});
