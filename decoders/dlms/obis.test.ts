import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatObis, parseObis } from './obis.js';
import { toHex } from './axdr/writer.js';
import { DlmsError } from './errors.js';

describe('OBIS codes', () => {
  it('parses the dotted and IEC notations to the same 6 bytes', () => {
    for (const t of ['1.0.99.1.0.255', '1-0:99.1.0*255', '1-0:99.1.0', '1-0:99.1.0.255', ' 1-0:99.1.0&255 ']) {
      assert.equal(toHex(parseObis(t)), '01006301' + '00FF', t);
    }
    assert.equal(toHex(parseObis('0-0:1.0.0*255')), '0000010000FF');
    assert.equal(toHex(parseObis('1-0:1.8.0*101')), '0100010800' + '65');
  });
  it('formats both notations, at an offset', () => {
    const b = new Uint8Array([9, 9, 1, 0, 1, 8, 0, 255]);
    assert.equal(formatObis(b, 2), '1.0.1.8.0.255');
    assert.equal(formatObis(b, 2, 'iec'), '1-0:1.8.0*255');
  });
  it('round trips any six bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (b) => {
        assert.deepEqual(parseObis(formatObis(b)), b);
        assert.deepEqual(parseObis(formatObis(b, 0, 'iec')), b);
      }),
    );
  });
  it('rejects malformed text and values above 255', () => {
    for (const t of ['', '1.0.99.1.0', '1.0.99.1.0.256', '1-0:99.1', 'a.b.c.d.e.f', '1-0:99.1.0*', '1.0.99.1.0.255.1']) {
      assert.throws(() => parseObis(t), (e: unknown) => e instanceof DlmsError && e.code === 'DLMS_ERR_VALUE', t);
    }
  });
  it('formatting needs 6 bytes', () => {
    assert.throws(() => formatObis(new Uint8Array(7), 2), (e: unknown) => e instanceof DlmsError && e.code === 'DLMS_ERR_TRUNCATED' && e.offset === 2);
  });
});
