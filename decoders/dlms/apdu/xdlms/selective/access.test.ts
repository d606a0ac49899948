import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeDataBytes } from '../../../axdr/data.js';
import { fromHex, toHex } from '../../../axdr/writer.js';
import { DlmsError } from '../../../errors.js';
import { parseObis } from '../../../obis.js';
import {
  type EntryDescriptor,
  type RangeDescriptor,
  entryAccess,
  entryDescriptorFromData,
  parseProfileAccess,
  rangeAccess,
  rangeDescriptorFromData,
} from './access.js';

const clock = { classId: 8, logicalName: parseObis('0.0.1.0.0.255'), attributeIndex: 2, dataIndex: 0 };

describe('selective access', () => {
  it('builds the published capture object definition of the clock', () => {
    // u9n/dlms-cosem tests/test_xdlms/test_selective_access.py, test_capture_object_definition
    const range: RangeDescriptor = {
      restrictingObject: clock,
      fromValue: { type: 'octet-string', value: fromHex('07 E1 0A 01 07 00 00 00 00 FF C4 80') },
      toValue: { type: 'octet-string', value: fromHex('07 E1 0A 01 07 01 00 00 00 FF C4 80') },
      selectedValues: [],
    };
    const bytes = encodeDataBytes(rangeAccess(range).parameters);
    assert.equal(toHex(bytes.subarray(2, 20), ' '), '02 04 12 00 08 09 06 00 00 01 00 00 FF 0F 02 12 00 00');
    assert.deepEqual(rangeDescriptorFromData(rangeAccess(range).parameters), range);
  });

  it('round-trips range and entry descriptors', () => {
    const co = fc.record(
      {
        classId: fc.integer({ min: 0, max: 0xffff }),
        logicalName: fc.uint8Array({ minLength: 6, maxLength: 6 }),
        attributeIndex: fc.integer({ min: -128, max: 127 }),
        dataIndex: fc.integer({ min: 0, max: 0xffff }),
      },
      { noNullPrototype: true },
    );
    fc.assert(
      fc.property(co, fc.array(co, { maxLength: 3 }), fc.integer({ min: 0, max: 0xffffffff }), (r, sel, v) => {
        const range: RangeDescriptor = {
          restrictingObject: r,
          fromValue: { type: 'double-long-unsigned', value: v },
          toValue: { type: 'null-data' },
          selectedValues: sel,
        };
        const p = parseProfileAccess(rangeAccess(range));
        assert.deepEqual(p, { selector: 1, range });
      }),
    );
    const entry: EntryDescriptor = { fromEntry: 1, toEntry: 96, fromSelectedValue: 1, toSelectedValue: 0 };
    assert.deepEqual(parseProfileAccess(entryAccess(entry)), { selector: 2, entry });
  });

  it('rejects misshaped parameters with DLMS_ERR_VALUE', () => {
    const bad = [
      () => entryDescriptorFromData({ type: 'structure', value: [] }),
      () => entryDescriptorFromData({ type: 'array', value: [] }),
      () =>
        rangeDescriptorFromData({
          type: 'structure',
          value: [{ type: 'null-data' }, { type: 'null-data' }, { type: 'null-data' }, { type: 'array', value: [] }],
        }),
    ];
    for (const f of bad) assert.throws(f, (e) => e instanceof DlmsError && e.code === 'DLMS_ERR_VALUE');
  });

  it('passes other selectors through', () => {
    assert.deepEqual(parseProfileAccess({ selector: 3, parameters: { type: 'null-data' } }), {
      selector: 3,
      parameters: { type: 'null-data' },
    });
  });
});
