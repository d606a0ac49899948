/**
 * Streaming validation: every batch the pipeline stores is validated once stored, from its columns (the
 * decoder threads copy them out with the Native block), against the rules of each device's project. What
 * the checks need of the past is kept per channel in memory (sinks/vee/validate.ts), so a batch costs no
 * read of ClickHouse; after a restart (or for a channel evicted from memory) the first batch of a channel
 * is checked without its predecessor, which the re-validation job (POST …/vee/revalidate) covers.
 */
import { applyScaler } from '../../decoders/dlms/units.js';
import type { ReadingColumns } from '../../workers/readings-block.js';
import type { ClickHouseEngine } from '../clickhouse/engine.js';
import type { Rule } from './rules.js';
import { failureRows, storeFailures } from './store.js';
import { validateDevice, type ChannelState, type DeviceChannel } from './validate.js';

const TWO_32 = 4294967296;
const EMPTY = new Int32Array(0);

/** The rules of each device (by devices.num) of a batch; undefined: the device is not validated. */
export type RulesOfDevices = (nums: number[]) => Promise<(num: number) => readonly Rule[] | undefined>;

export interface StreamingValidatorOptions {
  rules: RulesOfDevices;
  /** Channels whose state is kept (the oldest are forgotten beyond it); default 1,000,000 (≈ 250,000 meters × 4 registers). */
  maxChannels?: number;
  now?: () => number;
}

export class StreamingValidator {
  private readonly states = new Map<string, ChannelState>();
  /** Readings validated and failures found since start. */
  readonly totals = { readings: 0, failures: 0 };

  constructor(private readonly engine: ClickHouseEngine, private readonly options: StreamingValidatorOptions) {}

  async validate(c: ReadingColumns): Promise<void> {
    const n = c.count;
    // the block's values once, in columns; channels are lists of row numbers (no object per reading)
    const value = new Float64Array(n);
    for (let i = 0; i < n; i++) value[i] = applyScaler((c.raw[2 * i + 1]! | 0) * TWO_32 + c.raw[2 * i]!, c.scaler[i]!);
    const src = { ts: c.ts, value, quality: c.quality, status: c.deviceStatus, collectedAt: c.collectedAt };
    const byDevice = new Map<number, DeviceChannel[]>();
    // a frame's rows are one device's, its channels interleaved: a short list per device run, searched linearly.
    // First pass: each row's channel and each channel's size; second: the rows of all channels in one array.
    const all: DeviceChannel[] = [];
    const sizes: number[] = [];
    const channelOfRow = new Int32Array(n);
    // per device: its channels, their ids in `all` and their codes in this block
    const seen = new Map<number, { ids: number[]; codes: number[] }>();
    let device = -1;
    let channels: DeviceChannel[] = [];
    let ids: number[] = [];
    let codes: number[] = [];
    for (let i = 0; i < n; i++) {
      const d = c.deviceId[2 * i]! + c.deviceId[2 * i + 1]! * TWO_32;
      if (d !== device) {
        device = d;
        let list = byDevice.get(d);
        let known = seen.get(d);
        if (!list || !known) {
          byDevice.set(d, (list = []));
          seen.set(d, (known = { ids: [], codes: [] }));
        }
        channels = list;
        ids = known.ids;
        codes = known.codes;
      }
      const a = c.archive.ids[i]!;
      const o = c.obis.ids[i]!;
      const code = a * 16_777_216 + o * 256 + c.tariff[i]!;
      let k = codes.indexOf(code);
      if (k < 0) {
        k = channels.length;
        const ch: DeviceChannel = { archive: c.archive.values[a]!, obis: c.obis.values[o]!, tariff: c.tariff[i]!, src, rows: EMPTY };
        channels.push(ch);
        codes.push(code);
        ids.push(all.length);
        all.push(ch);
        sizes.push(0);
      }
      const id = ids[k]!;
      channelOfRow[i] = id;
      sizes[id]!++;
    }
    const order = new Int32Array(n);
    const next = new Int32Array(all.length);
    for (let id = 0, start = 0; id < all.length; start += sizes[id]!, id++) {
      next[id] = start;
      all[id]!.rows = order.subarray(start, start + sizes[id]!);
    }
    for (let i = 0; i < n; i++) order[next[channelOfRow[i]!]!++] = i;
    const rulesOf = await this.options.rules([...byDevice.keys()]);
    const at = (this.options.now ?? Date.now)();
    const rows: object[] = [];
    for (const [num, chs] of byDevice) {
      const rules = rulesOf(num);
      if (!rules?.length) continue;
      const failures = validateDevice(num, chs, rules, this.states);
      if (failures.length) rows.push(...failureRows(num, failures, at));
    }
    this.forget();
    this.totals.readings += c.count;
    this.totals.failures += rows.length;
    await storeFailures(this.engine, rows);
  }

  /** Keeps at most maxChannels states, forgetting the longest-known first. */
  private forget(): void {
    const max = this.options.maxChannels ?? 1_000_000;
    if (this.states.size <= max) return;
    let excess = this.states.size - max;
    for (const key of this.states.keys()) {
      if (excess-- <= 0) break;
      this.states.delete(key);
    }
  }
}
