/**
 * DLMS decode bar (BRIEF §7): a GET-Response-Normal carrying a Profile Generic buffer of N rows, each
 * structure { octet-string(12) date-time, 4 × double-long-unsigned, unsigned status }, decoded into
 * typed rows (UTC timestamp + 5 numbers) on one core. "values" counts 6 per row (timestamp included).
 * The generic path (decodeData + row objects) is measured for comparison.
 */
import type { Benchmark, BenchResult } from './harness.js';
import { measure } from './harness.js';
import { Reader } from '../decoders/dlms/axdr/reader.js';
import { Writer } from '../decoders/dlms/axdr/writer.js';
import { decodeData, encodeData } from '../decoders/dlms/axdr/data.js';
import { dateTimeFromUtcMs, encodeDateTime } from '../decoders/dlms/axdr/datetime.js';
import type { DlmsData } from '../decoders/dlms/axdr/types.js';
import { parseObis } from '../decoders/dlms/obis.js';
import { DlmsError } from '../decoders/dlms/errors.js';
import {
  type CaptureObject,
  compileRowLayout,
  createProfileRows,
  decodeProfileBuffer,
  profileRowsFromData,
} from '../decoders/dlms/cosem/profile-generic.js';

const CAPTURE_OBJECTS: CaptureObject[] = [
  { classId: 8, logicalName: parseObis('0.0.1.0.0.255'), attributeIndex: 2, dataIndex: 0 },
  { classId: 3, logicalName: parseObis('1.0.1.8.0.255'), attributeIndex: 2, dataIndex: 0 },
  { classId: 3, logicalName: parseObis('1.0.2.8.0.255'), attributeIndex: 2, dataIndex: 0 },
  { classId: 3, logicalName: parseObis('1.0.3.8.0.255'), attributeIndex: 2, dataIndex: 0 },
  { classId: 3, logicalName: parseObis('1.0.4.8.0.255'), attributeIndex: 2, dataIndex: 0 },
  { classId: 1, logicalName: parseObis('0.0.96.10.1.255'), attributeIndex: 2, dataIndex: 0 },
];

/** GET-Response-Normal (C4 01 invoke-id 00 data) with N load-profile rows at 15-minute intervals, UTC+1. */
function getResponse(rows: number): Uint8Array {
  const start = Date.UTC(2024, 2, 1, 0, 0, 0);
  const energy = [12_345_678, 1_234, 456_789, 98_765];
  const buffer: DlmsData[] = [];
  for (let i = 0; i < rows; i++) {
    for (let k = 0; k < 4; k++) energy[k]! += (i * 7919 + k * 104729) % (k === 0 ? 900 : 120);
    buffer.push({
      type: 'structure',
      value: [
        { type: 'octet-string', value: encodeDateTime(dateTimeFromUtcMs(start + i * 900_000, -60, 0)) },
        ...energy.map((e): DlmsData => ({ type: 'double-long-unsigned', value: e })),
        { type: 'unsigned', value: i % 97 === 0 ? 0x08 : 0 },
      ],
    });
  }
  const w = new Writer(rows * 40 + 16);
  w.u8(0xc4).u8(0x01).u8(0xc1).u8(0x00);
  encodeData(w, { type: 'array', value: buffer });
  return w.toBytes();
}

/** Offset of the Data in a GET-Response-Normal carrying data (not a data-access-result). */
function dataOffset(apdu: Uint8Array): number {
  if (apdu[0] !== 0xc4 || apdu[1] !== 0x01 || apdu[3] !== 0x00) throw new DlmsError('DLMS_ERR_TAG', 'not a GET-Response-Normal with data', 0);
  return 4;
}

function suite(rows: number): BenchResult[] {
  const apdu = getResponse(rows);
  const layout = compileRowLayout(CAPTURE_OBJECTS, { scalerUnits: [null, { scaler: 0, unit: 30 }, { scaler: 0, unit: 30 }, { scaler: 0, unit: 32 }, { scaler: 0, unit: 32 }] });
  const out = createProfileRows(layout, rows);
  let sink = 0;
  const fast = measure(() => {
    const r = decodeProfileBuffer(layout, apdu, dataOffset(apdu), apdu.length, out);
    sink += r.timestamps[r.count - 1]!;
  });
  const generic = measure(() => {
    const r = new Reader(apdu, dataOffset(apdu));
    const rowsOut = profileRowsFromData(decodeData(r), layout);
    sink += rowsOut.length;
  });
  if (sink === 0) throw new Error('benchmark produced nothing');
  const p = `dlms.decode.profile${rows}`;
  const bytes = apdu.length;
  return [
    { name: `${p}.rows_per_s`, value: Math.round(fast.opsPerSec * rows), unit: 'rows/s', bytes },
    { name: `${p}.values_per_s`, value: Math.round(fast.opsPerSec * rows * 6), unit: 'values/s', bytes },
    { name: `${p}.generic.rows_per_s`, value: Math.round(generic.opsPerSec * rows), unit: 'rows/s', bytes },
    { name: `${p}.generic.values_per_s`, value: Math.round(generic.opsPerSec * rows * 6), unit: 'values/s', bytes },
  ];
}

export const benchmarks: Benchmark[] = [
  {
    name: 'dlms.decode',
    run: () => [...suite(96), ...suite(2880)],
  },
];
