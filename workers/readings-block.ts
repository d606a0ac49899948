/**
 * Readings in columns, encoded as one ClickHouse Native block: the sink hands the bytes to ClickHouse
 * unparsed, so building rows costs typed-array stores in the decoder threads and nothing on the main
 * thread. Native layout: varint columns, varint rows, then per column its name, its type and its values
 * (fixed-width little-endian; strings as varint length + bytes). Text columns repeat a few values
 * (archive, OBIS, unit, ...) and go as LowCardinality(String): a dictionary plus one index per row.
 *
 * Every column is kept in its Native byte layout while rows are added (64-bit integers as low/high
 * 32-bit word pairs), so `encode` is a header per column plus one memcpy of its bytes.
 */

/** Columns of the `readings` table in insert order (schemas/clickhouse/001_readings.sql). */
export const READING_COLUMNS = [
  'device_id', 'archive', 'obis', 'reading_type', 'tariff', 'ts', 'raw', 'scaler', 'unit', 'quality',
  'device_status', 'device_tz', 'source', 'collected_at', 'retention_days',
] as const;

const TEXT = ['archive', 'obis', 'reading_type', 'unit', 'source'] as const;
type TextColumn = (typeof TEXT)[number];
type Column = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array;

const TWO_32 = 4294967296;

interface TextView {
  /** Dictionary index per row. */
  ids: Uint16Array;
  values: readonly string[];
}

/** Column views of a block; 64-bit integers as [low, high] 32-bit word pairs per row. */
export interface ReadingColumns {
  count: number;
  deviceId: Uint32Array;
  raw: Uint32Array;
  ts: Uint32Array;
  scaler: Int8Array;
  tariff: Uint8Array;
  quality: Uint8Array;
  deviceStatus: Uint8Array;
  deviceTz: Int16Array;
  collectedAt: Uint32Array;
  archive: TextView;
  obis: TextView;
  readingType: TextView;
  unit: TextView;
  source: TextView;
}

export class ReadingsBlock {
  count = 0;
  private capacity: number;
  /** UInt64 / Int64 as little-endian word pairs: [2i] low 32 bits, [2i + 1] high 32 bits. */
  private deviceId!: Uint32Array;
  private raw!: Uint32Array;
  private ts!: Uint32Array;
  private scaler!: Int8Array;
  private tariff!: Uint8Array;
  private quality!: Uint8Array;
  private deviceStatus!: Uint8Array;
  private deviceTz!: Int16Array;
  private collectedAt!: Uint32Array;
  private retentionDays!: Uint16Array;
  private text!: Record<TextColumn, Uint16Array>;
  private readonly dictionaries: Record<TextColumn, { values: string[]; index: Map<string, number> }> = {
    archive: dict(), obis: dict(), reading_type: dict(), unit: dict(), source: dict(),
  };

  constructor(capacity = 65536) {
    this.capacity = Math.max(1, capacity);
    this.allocate(this.capacity);
  }

  /** Distinct text values held, summed over the text columns. */
  get dictionarySize(): number {
    let n = 0;
    for (const c of TEXT) n += this.dictionaries[c].values.length;
    return n;
  }

  /**
   * Empties the block for reuse, keeping its arrays (no reallocation, no garbage) and its dictionaries:
   * ids handed out by `textId` stay valid, and a dictionary value no row uses costs a few bytes.
   */
  clear(): void {
    this.count = 0;
  }

  /** Dictionary id of a text value, for `add`. */
  textId(column: TextColumn, value: string): number {
    const d = this.dictionaries[column];
    let id = d.index.get(value);
    if (id === undefined) {
      id = d.values.length;
      if (id > 0xffff) throw new Error(`more than 65536 distinct ${column} values in one block`);
      d.values.push(value);
      d.index.set(value, id);
    }
    return id;
  }

  /** Appends one reading. `ts`/`collectedAt` in seconds; text arguments are ids from `textId`. */
  add(
    deviceId: number, archive: number, obis: number, readingType: number, tariff: number, ts: number, raw: number, scaler: number,
    unit: number, quality: number, deviceStatus: number, deviceTz: number, source: number, collectedAt: number, retentionDays: number,
  ): void {
    if (this.count === this.capacity) this.grow();
    const i = this.count++;
    // `>>> 0` keeps the low 32 bits of any safe integer (negative ones in two's complement).
    this.deviceId[2 * i] = deviceId >>> 0;
    this.deviceId[2 * i + 1] = Math.floor(deviceId / TWO_32) >>> 0;
    this.text.archive[i] = archive;
    this.text.obis[i] = obis;
    this.text.reading_type[i] = readingType;
    this.tariff[i] = tariff;
    this.ts[i] = ts;
    this.raw[2 * i] = raw >>> 0;
    this.raw[2 * i + 1] = Math.floor(raw / TWO_32) >>> 0;
    this.scaler[i] = scaler;
    this.text.unit[i] = unit;
    this.quality[i] = quality;
    this.deviceStatus[i] = deviceStatus;
    this.deviceTz[i] = deviceTz;
    this.text.source[i] = source;
    this.collectedAt[i] = collectedAt;
    this.retentionDays[i] = retentionDays;
  }

  /** The first `count` rows' columns as views (no copy), and the dictionaries, for other encoders. */
  columns(): ReadingColumns {
    const n = this.count;
    const text = (c: TextColumn) => ({ ids: this.text[c].subarray(0, n), values: this.dictionaries[c].values });
    return {
      count: n,
      deviceId: this.deviceId.subarray(0, 2 * n),
      raw: this.raw.subarray(0, 2 * n),
      ts: this.ts.subarray(0, n),
      scaler: this.scaler.subarray(0, n),
      tariff: this.tariff.subarray(0, n),
      quality: this.quality.subarray(0, n),
      deviceStatus: this.deviceStatus.subarray(0, n),
      deviceTz: this.deviceTz.subarray(0, n),
      collectedAt: this.collectedAt.subarray(0, n),
      archive: text('archive'), obis: text('obis'), readingType: text('reading_type'), unit: text('unit'), source: text('source'),
    };
  }

  /** The block in ClickHouse Native format (a fresh buffer, transferable). */
  encode(): Uint8Array {
    const n = this.count;
    let size = 1024 + n * 42;
    for (const c of TEXT) size += 64 + this.dictionaries[c].values.reduce((a, v) => a + 9 + Buffer.byteLength(v), 0);
    const out = Buffer.allocUnsafeSlow(size); // never from the shared pool: the buffer is transferred
    let p = 0;
    const varint = (v: number): void => {
      while (v >= 0x80) {
        out[p++] = (v & 0x7f) | 0x80;
        v = Math.floor(v / 128);
      }
      out[p++] = v;
    };
    const str = (s: string): void => {
      const len = Buffer.byteLength(s);
      varint(len);
      p += out.write(s, p, len, 'utf8');
    };
    const column = (name: string, type: string, values: Column, perRow: number): void => {
      str(name);
      str(type);
      const bytes = new Uint8Array(values.buffer, values.byteOffset, n * perRow * values.BYTES_PER_ELEMENT);
      out.set(bytes, p);
      p += bytes.length;
    };
    const lowCardinality = (c: TextColumn): void => {
      str(c);
      str('LowCardinality(String)');
      const values = this.dictionaries[c].values;
      // Serialization: version 1 (shared dictionaries), then one granule: the index width (UInt8 when
      // the dictionary allows, else UInt16) with "additional keys" (the dictionary travels in the
      // block), the keys, then the per-row indexes.
      const narrow = values.length <= 0x100;
      out.writeBigUInt64LE(1n, p);
      out.writeBigUInt64LE(BigInt((narrow ? 0 : 1) | (1 << 9)), p + 8);
      out.writeBigUInt64LE(BigInt(values.length), p + 16);
      p += 24;
      for (const v of values) str(v);
      out.writeBigUInt64LE(BigInt(n), p);
      p += 8;
      const ids = this.text[c].subarray(0, n);
      if (narrow) {
        out.set(ids, p); // element-wise conversion to bytes
        p += n;
      } else {
        out.set(new Uint8Array(ids.buffer, ids.byteOffset, 2 * n), p);
        p += 2 * n;
      }
    };
    varint(READING_COLUMNS.length);
    varint(n);
    column('device_id', 'UInt64', this.deviceId, 2);
    lowCardinality('archive');
    lowCardinality('obis');
    lowCardinality('reading_type');
    column('tariff', 'UInt8', this.tariff, 1);
    column('ts', "DateTime('UTC')", this.ts, 1);
    column('raw', 'Int64', this.raw, 2);
    column('scaler', 'Int8', this.scaler, 1);
    lowCardinality('unit');
    column('quality', 'UInt8', this.quality, 1);
    column('device_status', 'UInt8', this.deviceStatus, 1);
    column('device_tz', 'Int16', this.deviceTz, 1);
    lowCardinality('source');
    column('collected_at', "DateTime('UTC')", this.collectedAt, 1);
    column('retention_days', 'UInt16', this.retentionDays, 1);
    return new Uint8Array(out.buffer, out.byteOffset, p);
  }

  private allocate(n: number): void {
    const keep = this.count;
    const move = <T extends Column>(next: T, prev: T | undefined, perRow = 1): T => {
      if (prev && keep) next.set(prev.subarray(0, keep * perRow));
      return next;
    };
    this.deviceId = move(new Uint32Array(2 * n), this.deviceId, 2);
    this.ts = move(new Uint32Array(n), this.ts);
    this.raw = move(new Uint32Array(2 * n), this.raw, 2);
    this.scaler = move(new Int8Array(n), this.scaler);
    this.tariff = move(new Uint8Array(n), this.tariff);
    this.quality = move(new Uint8Array(n), this.quality);
    this.deviceStatus = move(new Uint8Array(n), this.deviceStatus);
    this.deviceTz = move(new Int16Array(n), this.deviceTz);
    this.collectedAt = move(new Uint32Array(n), this.collectedAt);
    this.retentionDays = move(new Uint16Array(n), this.retentionDays);
    const prev = this.text;
    this.text = {
      archive: move(new Uint16Array(n), prev?.archive),
      obis: move(new Uint16Array(n), prev?.obis),
      reading_type: move(new Uint16Array(n), prev?.reading_type),
      unit: move(new Uint16Array(n), prev?.unit),
      source: move(new Uint16Array(n), prev?.source),
    };
  }

  private grow(): void {
    this.capacity *= 2;
    this.allocate(this.capacity);
  }
}

function dict(): { values: string[]; index: Map<string, number> } {
  return { values: [], index: new Map() };
}
