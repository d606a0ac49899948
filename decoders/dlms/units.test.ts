import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyScaler, decodeScalerUnit, encodeScalerUnit, unitQuantity, unitSymbol } from './units.js';
import { decodeDataBytes, encodeDataBytes } from './axdr/data.js';
import { fromHex, toHex } from './axdr/writer.js';
import { DlmsError } from './errors.js';

describe('units', () => {
  it('symbols from the Blue Book unit table', () => {
    const expected: [number, string][] = [
      [1, 'a'], [5, 'h'], [7, 's'], [9, '°C'], [13, 'm³'], [22, 'Nm'], [27, 'W'], [28, 'VA'], [29, 'var'], [30, 'Wh'],
      [31, 'VAh'], [32, 'varh'], [33, 'A'], [35, 'V'], [38, 'Ω'], [44, 'Hz'], [45, '1/(Wh)'], [56, '%'], [57, 'Ah'],
      [62, 'Mol %'], [70, 'dBm'], [72, 'dB'], [255, ''],
    ];
    for (const [code, symbol] of expected) assert.equal(unitSymbol(code), symbol, String(code));
    assert.equal(unitSymbol(58), 'unit(58)');
    assert.equal(unitQuantity(30), 'active energy');
    assert.equal(unitQuantity(0), undefined);
  });
  it('every code 1..255 has a symbol string', () => {
    for (let c = 1; c <= 255; c++) assert.equal(typeof unitSymbol(c), 'string');
  });
  it('scaler_unit decodes from the A-XDR structure and encodes back', () => {
    // scaler -2, unit Wh: 02 02 0F FE 16 1E
    const d = decodeDataBytes(fromHex('02 02 0F FE 16 1E'));
    const su = decodeScalerUnit(d);
    assert.deepEqual(su, { scaler: -2, unit: 30 });
    assert.equal(toHex(encodeDataBytes(encodeScalerUnit(su))), '02020FFE161E');
    // scaler sent as unsigned 0xFD means -3
    assert.deepEqual(decodeScalerUnit(decodeDataBytes(fromHex('02 02 11 FD 16 1B'))), { scaler: -3, unit: 27 });
  });
  it('rejects shapes that are not scaler_unit', () => {
    for (const hex of ['11 01', '02 01 0F 00', '02 02 12 00 00 16 1E', '02 02 0F 00 09 00']) {
      assert.throws(() => decodeScalerUnit(decodeDataBytes(fromHex(hex))), (e: unknown) => e instanceof DlmsError && e.code === 'DLMS_ERR_VALUE', hex);
    }
  });
  it('applies scalers exactly for decimal fractions', () => {
    assert.equal(applyScaler(12345, -2), 123.45);
    assert.equal(applyScaler(7, 3), 7000);
    assert.equal(applyScaler(1, -1), 0.1);
    assert.equal(applyScaler(5, 0), 5);
    assert.equal(applyScaler(1, -20), 1e-20);
  });
});
