/**
 * Readings in columns, encoded as one ClickHouse Native block: the sink hands the bytes to ClickHouse
 * unparsed, so building rows costs typed-array stores in the decoder threads and nothing on the main
 * thread. Native layout: varint columns, varint rows, then per column its name, its type and its values
 * (fixed-width little-endian; strings as varint length + bytes). Text columns repeat a few values
 * (archive, OBIS, unit, ...) and go as LowCardinality(String): a dictionary plus one index per row.
 */

/** Columns of the `readings` table in insert order (schemas/clickhouse/001_readings.sql). */
export const READING_COLUMNS = [
  'device_id', 'archive', 'obis', 'reading_type', 'tariff', 'ts', 'raw', 'scaler', 'unit', 'quality',
  'device_status', 'device_tz', 'source', 'collected_at', 'retention_days',
] as const;

const TEXT = ['archive', 'obis', 'reading_type', 'unit', 'source'] as const;
type TextColumn = (typeof TEXT)[number];

export class ReadingsBlock {
  count = 0;
  private capacity: number;
  private deviceId!: Float64Array;
  private ts!: Uint32Array;
  private raw!: Float64Array;
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
    this.capacity = capacity;
    this.allocate(capacity);
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
    this.deviceId[i] = deviceId;
    this.text.archive[i] = archive;
    this.text.obis[i] = obis;
    this.text.reading_type[i] = readingType;
    this.tariff[i] = tariff;
    this.ts[i] = ts;
    this.raw[i] = raw;
    this.scaler[i] = scaler;
    this.text.unit[i] = unit;
    this.quality[i] = quality;
    this.deviceStatus[i] = deviceStatus;
    this.deviceTz[i] = deviceTz;
    this.text.source[i] = source;
    this.collectedAt[i] = collectedAt;
    this.retentionDays[i] = retentionDays;
  }

  /** The block in ClickHouse Native format (a fresh buffer, transferable). */
  encode(): Uint8Array {
    const n = this.count;
    let size = 1024 + n * 48;
    for (const c of TEXT) size += 64 + this.dictionaries[c].values.reduce((a, v) => a + 9 + Buffer.byteLength(v), 0);
    const out = Buffer.allocUnsafe(size);
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
    const header = (name: string, type: string): void => {
      str(name);
      str(type);
    };
    const int64 = (a: Float64Array): void => {
      for (let i = 0; i < n; i++) {
        const v = a[i]!;
        const hi = Math.floor(v / 4294967296);
        out.writeUInt32LE(v - hi * 4294967296, p);
        out.writeInt32LE(hi, p + 4);
        p += 8;
      }
    };
    const fixed = (a: Uint8Array | Int8Array | Int16Array | Uint16Array | Uint32Array): void => {
      const bytes = new Uint8Array(a.buffer, a.byteOffset, n * a.BYTES_PER_ELEMENT);
      out.set(bytes, p);
      p += bytes.length;
    };
    const lowCardinality = (c: TextColumn): void => {
      header(c, 'LowCardinality(String)');
      const values = this.dictionaries[c].values;
      // Serialization: version 1 (shared dictionaries), then one granule: index type UInt16 with
      // "additional keys" (the dictionary travels in the block), the keys, then the per-row indexes.
      out.writeBigUInt64LE(1n, p);
      out.writeBigUInt64LE(BigInt(1 | (1 << 9)), p + 8);
      out.writeBigUInt64LE(BigInt(values.length), p + 16);
      p += 24;
      for (const v of values) str(v);
      out.writeBigUInt64LE(BigInt(n), p);
      p += 8;
      fixed(this.text[c]);
    };
    varint(READING_COLUMNS.length);
    varint(n);
    header('device_id', 'UInt64');
    int64(this.deviceId);
    lowCardinality('archive');
    lowCardinality('obis');
    lowCardinality('reading_type');
    header('tariff', 'UInt8');
    fixed(this.tariff);
    header('ts', "DateTime('UTC')");
    fixed(this.ts);
    header('raw', 'Int64');
    int64(this.raw);
    header('scaler', 'Int8');
    fixed(this.scaler);
    lowCardinality('unit');
    header('quality', 'UInt8');
    fixed(this.quality);
    header('device_status', 'UInt8');
    fixed(this.deviceStatus);
    header('device_tz', 'Int16');
    fixed(this.deviceTz);
    lowCardinality('source');
    header('collected_at', "DateTime('UTC')");
    fixed(this.collectedAt);
    header('retention_days', 'UInt16');
    fixed(this.retentionDays);
    return new Uint8Array(out.buffer, out.byteOffset, p);
  }

  private allocate(n: number): void {
    const keep = this.count;
    const move = <T extends { set(a: ArrayLike<number>): void; subarray(a: number, b: number): ArrayLike<number> }>(next: T, prev: T | undefined): T => {
      if (prev && keep) next.set(prev.subarray(0, keep));
      return next;
    };
    this.deviceId = move(new Float64Array(n), this.deviceId);
    this.ts = move(new Uint32Array(n), this.ts);
    this.raw = move(new Float64Array(n), this.raw);
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
