/**
 * M-Bus bars (issue 19):
 *
 * - `mbus.decode`: wireless telegrams decoded per second on one core — security mode 5 (AES-128-CBC),
 *   10 data records each (volume, BCD volume of the billing date, the date, date-time, flow and return
 *   temperature, volume flow, energy, error flags, a plain counter), frame format A with CRC blocks:
 *   CRCs checked and removed, decrypted, 2F 2F checked, records decoded into the record table. Keys are
 *   expanded once per meter (as the pool keeps them); `keyBytes` measures a fresh key expansion per
 *   telegram for comparison. Plain (mode 0) and mode 7 (KDF + MAC per telegram) beside it.
 */
import type { Benchmark, BenchResult } from './harness.js';
import { measure } from './harness.js';
import { AesKey } from '../decoders/mbus/aes.js';
import { encodeRecords, encodeWirelessTelegram, type RecordSpec } from '../decoders/mbus/encode.js';
import { MbusDecoder } from '../decoders/mbus/telegram.js';

const METERS = 1000;

function records(i: number): RecordSpec[] {
  const day = Date.UTC(2024, 4, 1 + (i % 28), 23, 45);
  return [
    { dataField: 0x04, vib: [0x13], value: 1_000_000 + i * 37 },
    { dataField: 0x0c, vib: [0x13], value: 990_000 + i * 31, storage: 1 },
    { dataField: 0x02, vib: [0x6c], value: Date.UTC(2024, 3, 30), storage: 1 },
    { dataField: 0x04, vib: [0x6d], value: day },
    { dataField: 0x02, vib: [0x5a], value: 400 + (i % 200) },
    { dataField: 0x02, vib: [0x5e], value: 300 + (i % 100) },
    { dataField: 0x03, vib: [0x3b], value: 1000 + i },
    { dataField: 0x04, vib: [0x06], value: 50_000 + i },
    { dataField: 0x02, vib: [0xfd, 0x17], value: i % 3 === 0 ? 4 : 0 },
    { dataField: 0x04, vib: [0x20], value: 86_400 * 365 + i },
  ];
}

interface Fleet {
  telegrams: Uint8Array[];
  keys: AesKey[];
  keyBytes: Uint8Array[];
}

function fleet(mode: 0 | 5 | 7): Fleet {
  const telegrams: Uint8Array[] = [];
  const keys: AesKey[] = [];
  const keyBytes: Uint8Array[] = [];
  for (let i = 0; i < METERS; i++) {
    const key = new Uint8Array(16);
    for (let k = 0; k < 16; k++) key[k] = (i * 131 + k * 17) & 0xff;
    const id = String(30_000_000 + i);
    telegrams.push(encodeWirelessTelegram({
      meter: { manufacturer: 'HES', id, version: 1, deviceType: 0x07 }, accessNumber: i & 0xff, mode, key, messageCounter: i + 1,
      records: encodeRecords(records(i)), frameFormat: 'A',
    }));
    keys.push(new AesKey(key));
    keyBytes.push(key);
  }
  return { telegrams, keys, keyBytes };
}

function suite(mode: 0 | 5 | 7, name: string): BenchResult[] {
  const f = fleet(mode);
  const d = new MbusDecoder();
  let i = 0;
  let sink = 0;
  const run = (useBytes: boolean) => () => {
    const k = i++ % METERS;
    const t = d.decode(f.telegrams[k]!, { key: useBytes ? f.keyBytes[k]! : f.keys[k]! });
    sink += t.records.count;
  };
  const r = measure(run(false), 2000, 500);
  if (sink % 10 !== 0) throw new Error('each telegram carries 10 records');
  const out: BenchResult[] = [
    {
      name: `mbus.decode.${name}.telegrams_per_s`, value: Math.round(r.opsPerSec), unit: 'telegrams/s', per_cpu_s: Math.round(r.opsPerCpuSec),
      bytes: f.telegrams[0]!.length, records: 10,
    },
    { name: `mbus.decode.${name}.records_per_s`, value: Math.round(r.opsPerSec * 10), unit: 'records/s', per_cpu_s: Math.round(r.opsPerCpuSec * 10) },
  ];
  if (mode === 5) {
    const fresh = measure(run(true), 1500, 300);
    out.push({ name: `mbus.decode.${name}.keyBytes.telegrams_per_s`, value: Math.round(fresh.opsPerSec), unit: 'telegrams/s', per_cpu_s: Math.round(fresh.opsPerCpuSec) });
  }
  return out;
}

export const benchmarks: Benchmark[] = [
  { name: 'mbus.decode', run: () => [...suite(5, 'mode5'), ...suite(0, 'plain'), ...suite(7, 'mode7')] },
];
