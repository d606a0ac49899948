/**
 * The COSEM data model (IEC 62056-6-2 "Data" CHOICE) as a tagged union. Each value keeps its A-XDR
 * type so that what is decoded re-encodes to the same bytes.
 */

export const DataTag = {
  nullData: 0,
  array: 1,
  structure: 2,
  boolean: 3,
  bitString: 4,
  doubleLong: 5,
  doubleLongUnsigned: 6,
  floatingPoint: 7,
  octetString: 9,
  visibleString: 10,
  utf8String: 12,
  bcd: 13,
  integer: 15,
  long: 16,
  unsigned: 17,
  longUnsigned: 18,
  compactArray: 19,
  long64: 20,
  long64Unsigned: 21,
  enum: 22,
  float32: 23,
  float64: 24,
  dateTime: 25,
  date: 26,
  time: 27,
  dontCare: 255,
} as const;

export type DataTypeName =
  | 'null-data'
  | 'array'
  | 'structure'
  | 'boolean'
  | 'bit-string'
  | 'double-long'
  | 'double-long-unsigned'
  | 'floating-point'
  | 'octet-string'
  | 'visible-string'
  | 'utf8-string'
  | 'bcd'
  | 'integer'
  | 'long'
  | 'unsigned'
  | 'long-unsigned'
  | 'compact-array'
  | 'long64'
  | 'long64-unsigned'
  | 'enum'
  | 'float32'
  | 'float64'
  | 'date-time'
  | 'date'
  | 'time'
  | 'dont-care';

/** A bit-string: `length` bits, most significant bit of bytes[0] first. */
export interface BitString {
  length: number;
  bytes: Uint8Array;
}

/**
 * COSEM date (5 bytes): year 0xFFFF, month/day 0xFF, day-of-week 0xFF mean "not specified".
 * month 0xFD/0xFE = DST end/begin; dayOfMonth 0xFD/0xFE = second-last/last day of month.
 */
export interface CosemDate {
  year: number;
  month: number;
  dayOfMonth: number;
  dayOfWeek: number;
}

/** COSEM time (4 bytes): each field 0xFF = not specified. */
export interface CosemTime {
  hour: number;
  minute: number;
  second: number;
  hundredths: number;
}

/**
 * COSEM date-time (12 bytes): date, time, deviation (int16 minutes, 0x8000 = not specified),
 * clock status (0xFF = not specified).
 */
export interface CosemDateTime extends CosemDate, CosemTime {
  deviation: number;
  clockStatus: number;
}

/** Type description of a compact-array (IEC 62056-6-2 TypeDescription). */
export type TypeDescription =
  | { type: Exclude<DataTypeName, 'array' | 'structure' | 'compact-array'> }
  | { type: 'array'; count: number; element: TypeDescription }
  | { type: 'structure'; elements: TypeDescription[] };

export type DlmsData =
  | { type: 'null-data' }
  | { type: 'dont-care' }
  | { type: 'array'; value: DlmsData[] }
  | { type: 'structure'; value: DlmsData[] }
  | { type: 'boolean'; value: boolean }
  | { type: 'bit-string'; value: BitString }
  | { type: 'double-long'; value: number }
  | { type: 'double-long-unsigned'; value: number }
  | { type: 'floating-point'; value: number }
  | { type: 'octet-string'; value: Uint8Array }
  | { type: 'visible-string'; value: string }
  | { type: 'utf8-string'; value: string }
  | { type: 'bcd'; value: number }
  | { type: 'integer'; value: number }
  | { type: 'long'; value: number }
  | { type: 'unsigned'; value: number }
  | { type: 'long-unsigned'; value: number }
  | { type: 'compact-array'; description: TypeDescription; value: DlmsData[] }
  | { type: 'long64'; value: bigint }
  | { type: 'long64-unsigned'; value: bigint }
  | { type: 'enum'; value: number }
  | { type: 'float32'; value: number }
  | { type: 'float64'; value: number }
  | { type: 'date-time'; value: CosemDateTime }
  | { type: 'date'; value: CosemDate }
  | { type: 'time'; value: CosemTime };

export type DlmsDataOf<T extends DataTypeName> = Extract<DlmsData, { type: T }>;
