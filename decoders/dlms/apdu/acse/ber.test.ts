import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Reader } from '../../axdr/reader.js';
import { Writer, fromHex, toHex } from '../../axdr/writer.js';
import { BerTag, readInteger, readOid, writeElement, writeInteger, writeOid } from './ber.js';
import { assertDlmsError } from './testkit.js';

function integerBytes(v: number): string {
  const w = new Writer();
  writeInteger(w, BerTag.integer, v, 'v');
  return toHex(w.finish());
}

describe('BER primitives', () => {
  it('encodes INTEGER in the fewest two\'s complement bytes (X.690 §8.3)', () => {
    assert.equal(integerBytes(0), '020100');
    assert.equal(integerBytes(127), '02017F');
    assert.equal(integerBytes(128), '02020080');
    assert.equal(integerBytes(-1), '0201FF');
    assert.equal(integerBytes(-128), '020180');
    assert.equal(integerBytes(-129), '0202FF7F');
    assert.equal(integerBytes(2 ** 47 - 1), '02067FFFFFFFFFFF');
  });

  it('reads back any 6-byte INTEGER', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 47n), max: 2n ** 47n - 1n }), (big) => {
        const v = Number(big);
        const b = fromHex(integerBytes(v));
        assert.equal(readInteger(new Reader(b, 2), 'v'), v);
      }),
    );
  });

  it('encodes the DLMS UA OID arcs in base 128 (756 = 85 74)', () => {
    const w = new Writer();
    writeOid(w, BerTag.objectIdentifier, '2.16.756.5.8.1.1', 'oid');
    assert.equal(toHex(w.finish()), '060760857405080101');
    assert.equal(readOid(new Reader(w.finish(), 2), 'oid'), '2.16.756.5.8.1.1');
    assert.equal(readOid(new Reader(fromHex('2A864886F70D')), 'oid'), '1.2.840.113549');
  });

  it('writes long-form lengths when the content reaches 128 bytes', () => {
    for (const [n, header] of [[127, '047F'], [128, '048180'], [256, '04820100']] as const) {
      const w = new Writer(4);
      writeElement(w, BerTag.octetString, (w) => w.bytes(new Uint8Array(n).fill(0xab)));
      const b = w.finish();
      assert.equal(toHex(b.subarray(0, header.length / 2)), header);
      assert.equal(b.length, header.length / 2 + n);
      assert.ok(b.subarray(header.length / 2).every((x) => x === 0xab));
    }
  });

  it('rejects bad INTEGER and OID contents', () => {
    assertDlmsError(() => readInteger(new Reader(new Uint8Array(0)), 'v'), 'DLMS_ERR_LENGTH', 0);
    assertDlmsError(() => readOid(new Reader(new Uint8Array(0)), 'oid'), 'DLMS_ERR_LENGTH', 0);
    assertDlmsError(() => readOid(new Reader(fromHex('2AFFFFFFFFFFFFFF7F')), 'oid'), 'DLMS_ERR_VALUE', 1);
    assertDlmsError(() => writeOid(new Writer(), 0x06, '1.40', 'oid'), 'DLMS_ERR_ENCODE');
    assertDlmsError(() => writeOid(new Writer(), 0x06, '2', 'oid'), 'DLMS_ERR_ENCODE');
    assertDlmsError(() => writeOid(new Writer(), 0x06, '2.x', 'oid'), 'DLMS_ERR_ENCODE');
    assertDlmsError(() => writeInteger(new Writer(), 0x02, 0.5, 'v'), 'DLMS_ERR_ENCODE');
  });
});
