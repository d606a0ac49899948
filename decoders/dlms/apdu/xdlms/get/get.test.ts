import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeDataBytes, encodeDataBytes } from '../../../axdr/data.js';
import { decodeDateTime } from '../../../axdr/datetime.js';
import type { DlmsData } from '../../../axdr/types.js';
import { fromHex, toHex } from '../../../axdr/writer.js';
import { formatObis, parseObis } from '../../../obis.js';
import { decodeApdu, describeApdu, encodeApdu, encodeGetResponseNormalData, parseProfileAccess } from '../../index.js';
import { roundTripHex } from '../../testing.js';
import { invokeIdAndPriority, parseInvokeIdAndPriority } from '../enums.js';
import { GET_FIXTURES as F } from './fixtures.js';
import type { GetResponseWithDatablock } from './response.js';

describe('GET-Request', () => {
  it('reads the clock: 8 / 0.0.1.0.0.255 / 2, invoke-id 1, confirmed, high priority', () => {
    const a = roundTripHex(F.clockRequest);
    assert.equal(a.type, 'get-request-normal');
    if (a.type !== 'get-request-normal') return;
    assert.deepEqual(parseInvokeIdAndPriority(a.invokeIdAndPriority), { invokeId: 1, confirmed: true, high: true });
    assert.equal(a.attribute.classId, 8);
    assert.equal(formatObis(a.attribute.instanceId), '0.0.1.0.0.255');
    assert.equal(a.attribute.attributeId, 2);
    assert.equal(a.access, undefined);
    assert.equal(describeApdu(a), 'get-request-normal #1 8/0.0.1.0.0.255/2');
  });

  it('encodes the clock request from its fields', () => {
    const bytes = encodeApdu({
      type: 'get-request-normal',
      invokeIdAndPriority: invokeIdAndPriority(1, true, true),
      attribute: { classId: 8, instanceId: parseObis('0.0.1.0.0.255'), attributeId: 2 },
    });
    assert.equal(toHex(bytes, ' '), F.clockRequest);
  });

  it('round-trips the published next and with-list requests', () => {
    const next = roundTripHex(F.nextRequest);
    assert.deepEqual(next, { type: 'get-request-next', invokeIdAndPriority: 0xc1, blockNumber: 1 });
    const list = roundTripHex(F.withListRequest);
    assert.equal(list.type, 'get-request-with-list');
    if (list.type !== 'get-request-with-list') return;
    assert.deepEqual(
      list.attributes.map((x) => [x.attribute.classId, formatObis(x.attribute.instanceId), x.attribute.attributeId]),
      [
        [1, '0.0.42.0.0.255', 2],
        [8, '0.0.1.0.0.255', 2],
      ],
    );
  });

  it('reads a load profile by range on the clock column (selector 1)', () => {
    const a = roundTripHex(F.rangeRequest);
    assert.equal(a.type, 'get-request-normal');
    if (a.type !== 'get-request-normal' || !a.access) return assert.fail('no access selection');
    assert.equal(formatObis(a.attribute.instanceId), '1.0.99.1.0.255');
    const p = parseProfileAccess(a.access);
    assert.equal(p.selector, 1);
    if (!('range' in p)) return;
    assert.equal(p.range.restrictingObject.classId, 8);
    assert.equal(formatObis(p.range.restrictingObject.logicalName), '0.0.1.0.0.255');
    assert.equal(p.range.restrictingObject.attributeIndex, 2);
    assert.equal(p.range.restrictingObject.dataIndex, 0);
    assert.deepEqual(p.range.selectedValues, []);
    const from = p.range.fromValue;
    assert.equal(from.type, 'octet-string');
    if (from.type !== 'octet-string') return;
    const dt = decodeDateTime(from.value);
    assert.deepEqual([dt.year, dt.month, dt.dayOfMonth, dt.hour, dt.deviation, dt.clockStatus], [2017, 10, 1, 0, -60, 0x80]);
  });

  it('reads a load profile by entry (selector 2)', () => {
    const a = roundTripHex(F.entryRequest);
    if (a.type !== 'get-request-normal' || !a.access) return assert.fail('no access selection');
    assert.deepEqual(parseProfileAccess(a.access), {
      selector: 2,
      entry: { fromEntry: 1, toEntry: 10, fromSelectedValue: 1, toSelectedValue: 0 },
    });
  });
});

describe('GET-Response', () => {
  it('decodes a double-long-unsigned value', () => {
    assert.deepEqual(roundTripHex(F.u32Response), {
      type: 'get-response-normal',
      invokeIdAndPriority: 0xc1,
      result: { type: 'data', value: { type: 'double-long-unsigned', value: 5009 } },
    });
  });

  it('decodes a data-access-result', () => {
    const a = roundTripHex(F.errorResponse);
    assert.deepEqual(a, { type: 'get-response-normal', invokeIdAndPriority: 0xc1, result: { type: 'data-access-result', value: 1 } });
    assert.equal(describeApdu(a), 'get-response-normal #1 hardware-fault');
  });

  it('decodes the clock as octet-string(12) holding a COSEM date-time', () => {
    const a = roundTripHex(F.clockResponse);
    if (a.type !== 'get-response-normal' || a.result.type !== 'data' || a.result.value.type !== 'octet-string') {
      return assert.fail('expected data octet-string');
    }
    const dt = decodeDateTime(a.result.value.value);
    assert.deepEqual(
      [dt.year, dt.month, dt.dayOfMonth, dt.dayOfWeek, dt.hour, dt.minute, dt.second, dt.hundredths, dt.deviation, dt.clockStatus],
      [2021, 1, 24, 0xff, 14, 48, 57, 80, -60, 0],
    );
    assert.equal(describeApdu(a), 'get-response-normal #1 octet-string(12) 2021-01-24T14:48:57.80+01:00');
  });

  it('decodes a with-list response', () => {
    const a = roundTripHex(F.withListResponse);
    if (a.type !== 'get-response-with-list') return assert.fail(a.type);
    assert.equal(a.results.length, 2);
    const first = a.results[0]!;
    assert.ok(first.type === 'data' && first.value.type === 'octet-string');
    assert.equal(new TextDecoder().decode(first.value.value), 'ISK1030777764366');
  });

  it('decodes a last datablock carrying an error', () => {
    assert.deepEqual(roundTripHex(F.lastBlockErrorResponse), {
      type: 'get-response-with-datablock',
      invokeIdAndPriority: 0xc1,
      lastBlock: true,
      blockNumber: 19,
      result: { type: 'data-access-result', value: 1 },
    });
  });

  it('reassembles a GET-Response-With-Datablock sequence into the profile buffer', () => {
    // A 96-row-shaped buffer (3 rows here): array of structure{date-time octet-string, double-long-unsigned, unsigned}.
    const row = (h: number, v: number): DlmsData => ({
      type: 'structure',
      value: [
        { type: 'octet-string', value: fromHex(`07 E8 09 02 01 ${h.toString(16).padStart(2, '0')} 00 00 00 FF 4C 00`) },
        { type: 'double-long-unsigned', value: v },
        { type: 'unsigned', value: 0 },
      ],
    });
    const buffer: DlmsData = { type: 'array', value: [row(0, 100), row(1, 250), row(2, 420)] };
    const encoded = encodeDataBytes(buffer);
    const size = 20;
    const blocks: Uint8Array[] = [];
    for (let n = 1, at = 0; at < encoded.length; n++, at += size) {
      const part = encoded.slice(at, at + size);
      const apdu: GetResponseWithDatablock = {
        type: 'get-response-with-datablock',
        invokeIdAndPriority: 0xc1,
        lastBlock: at + size >= encoded.length,
        blockNumber: n,
        result: { type: 'raw-data', value: part },
      };
      blocks.push(encodeApdu(apdu).slice());
    }
    // First block header as on the wire: C4 02 C1, last-block 00, block 1, raw-data choice 00, length 0x14.
    assert.equal(toHex(blocks[0]!.subarray(0, 10)), 'C402C1000000000100' + '14');
    const parts: Uint8Array[] = [];
    let expected = 1;
    for (const b of blocks) {
      const a = decodeApdu(b);
      if (a.type !== 'get-response-with-datablock' || a.result.type !== 'raw-data') return assert.fail('expected raw-data');
      assert.equal(a.blockNumber, expected++);
      parts.push(a.result.value);
    }
    const whole = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (whole.set(p, at), at + p.length), 0);
    assert.deepEqual(decodeDataBytes(whole), buffer);
  });
});

describe('Get-Response-Normal around encoded data', () => {
  it('equals the response encoded from the decoded data, and decodes back to it', () => {
    const value: DlmsData = { type: 'array', value: [{ type: 'structure', value: [{ type: 'double-long-unsigned', value: 7 }, { type: 'null-data' }] }] };
    const apdu = encodeGetResponseNormalData(0xc1, encodeDataBytes(value));
    assert.equal(toHex(apdu), toHex(encodeApdu({ type: 'get-response-normal', invokeIdAndPriority: 0xc1, result: { type: 'data', value } })));
    assert.deepEqual(decodeApdu(apdu), { type: 'get-response-normal', invokeIdAndPriority: 0xc1, result: { type: 'data', value } });
    assert.throws(() => encodeGetResponseNormalData(0x100, encodeDataBytes(value)), { code: 'DLMS_ERR_ENCODE' });
  });
});
