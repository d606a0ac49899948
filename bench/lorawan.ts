/**
 * LoRaWAN decode bar (part of issue 17's `lorawan.uplinks`, which also needs the simulator and the whole path):
 *
 * - `lorawan.decode`: uplinks decoded per second on one core by the pool's `lorawan` decoder into a ClickHouse
 *   Native block, as a decode worker does it: OBIS-TLV (a time, 8 registers — A+/A− total and T1/T2, R+ total,
 *   three voltages — and a status word, one uplink in ten with an event bit) and Cayenne LPP (analog input, temperature,
 *   humidity, digital input; 3 of them mapped by the profile; 14 bytes) and a TS013 JavaScript codec in the sandbox
 *   (decoders/lorawan/fixtures.ts: a water meter's 7 bytes, 3 values mapped; the sandbox's cost is its figure against
 *   the built-in codecs'). The block is cleared at 80,000 readings, as a batch would be encoded and sent.
 */
import type { Benchmark, BenchResult } from './harness.js';
import { measure } from './harness.js';
import { LorawanDecoder } from '../decoders/lorawan/decoder.js';
import { encodeObisTlv } from '../decoders/lorawan/obis-tlv.js';
import { TS013_WATER_CODEC } from '../decoders/lorawan/fixtures.js';
import type { DecodeOutput, DeviceContext, EventRow, RawFrame } from '../decoders/protocol-decoder.js';
import { ReadingsBlock } from '../workers/readings-block.js';

const DEVICES = 1000;

const profile = {
  id: 'BENCH', version: '1', body: {
    lorawan: {
      codecs: [{ codec: 'obis-tlv', fPorts: [2] }, { codec: 'cayenne-lpp', fPorts: [1] }, { codec: 'ts013', fPorts: [10], script: TS013_WATER_CODEC }],
      values: [{ path: 'volume', obis: '8.0.1.0.0.255', unit: 'm³' }, { path: 'temperature', obis: '8.0.41.0.0.255', unit: '°C' }, { path: 'alarms.leak', obis: '0.0.97.97.0.255' }],
      channels: [{ channel: 1, type: 'analog-input', obis: '8.0.1.0.0.255', unit: 'm³' }, { channel: 2, obis: '0.0.96.9.0.255', archive: 'telemetry' }, { channel: 3, obis: '0.0.96.9.2.255', archive: 'telemetry' }],
      statusBits: [{ bit: 3, name: 'battery low' }],
    },
  },
};

function uplinks(fPort: number): { frames: RawFrame[]; devices: DeviceContext[] } {
  const frames: RawFrame[] = [];
  const devices: DeviceContext[] = [];
  const t = Date.UTC(2026, 11, 7) / 1000;
  for (let i = 0; i < DEVICES; i++) {
    const payload = fPort === 2
      ? encodeObisTlv({
        time: t + i * 60, status: i % 10 === 0 ? 8 : 0,
        registers: [
          { obis: '1.0.1.8.0.255', raw: 1_000_000 + i, unit: 30 }, { obis: '1.0.1.8.1.255', raw: 600_000 + i, unit: 30 }, { obis: '1.0.1.8.2.255', raw: 400_000, unit: 30 },
          { obis: '1.0.2.8.0.255', raw: 1000 + i, unit: 30 }, { obis: '1.0.3.8.0.255', raw: 50_000, unit: 32 },
          { obis: '1.0.32.7.0.255', raw: 2300 + (i % 50), scaler: -1, unit: 35, type: 0x12 }, { obis: '1.0.52.7.0.255', raw: 2310, scaler: -1, unit: 35, type: 0x12 },
          { obis: '1.0.72.7.0.255', raw: 2290, scaler: -1, unit: 35, type: 0x12 },
        ],
      })
      : fPort === 10 ? Buffer.from(`00${(1_234_567 + i * 13).toString(16).padStart(8, '0').match(/../g)!.reverse().join('')}${((1234 + i) & 0xffff).toString(16).padStart(4, '0').match(/../g)!.reverse().join('')}`, 'hex')
      : Buffer.from(`0102${(12345 + i).toString(16).padStart(4, '0')}026700F5036891040001`, 'hex');
    frames.push({
      frameId: `bench-${i}`, wire: Buffer.from(payload), framing: 'LORAWAN', direction: 'UPLINK', deviceId: i + 1, commLineId: null, connector: 'chirpstack',
      receivedAt: (t + i) * 1000, sessionId: null, protocol: 'lorawan', meta: { devEui: (0x70b3d57ed0000000 + i).toString(16), fPort: String(fPort), fCnt: String(i) },
      context: { archive: 'current', retentionDays: 365, deviceTzMinutes: 180, source: 'PUSH', captureObjects: [], journal: null, eventCodes: null, protocolContext: null },
    });
    devices.push({ num: i + 1, serial: `LW-${i}`, projectId: 'bench', profile, protocol: { kind: 'LORAWAN', settings: {} }, secrets: {}, overrides: {} });
  }
  return { frames, devices };
}

function suite(fPort: number, name: string, readingsPerUplink: number): BenchResult[] {
  const { frames, devices } = uplinks(fPort);
  const decoder = new LorawanDecoder();
  const block = new ReadingsBlock();
  const events: EventRow[] = [];
  const out: DecodeOutput = { readings: block, events, states: [], collectedAtSec: Date.UTC(2026, 11, 7, 12) / 1000 };
  let i = 0;
  let readings = 0;
  const r = measure(() => {
    const k = i++ % DEVICES;
    if (block.count >= 80_000) {
      block.clear();
      events.length = 0;
    }
    readings += decoder.decode(frames[k]!, out, devices[k]!);
  }, 2000, 500);
  if (readings !== i * readingsPerUplink) throw new Error(`${readingsPerUplink} readings per uplink expected`);
  return [
    { name: `lorawan.decode.${name}.uplinks_per_s`, value: Math.round(r.opsPerSec), unit: 'uplinks/s', per_cpu_s: Math.round(r.opsPerCpuSec), bytes: frames[0]!.wire.length, readings: readingsPerUplink },
    { name: `lorawan.decode.${name}.readings_per_s`, value: Math.round(r.opsPerSec * readingsPerUplink), unit: 'readings/s', per_cpu_s: Math.round(r.opsPerCpuSec * readingsPerUplink) },
  ];
}

export const benchmarks: Benchmark[] = [
  { name: 'lorawan.decode', run: () => [...suite(2, 'obisTlv', 8), ...suite(1, 'cayenneLpp', 3), ...suite(10, 'ts013Sandbox', 3)] },
];
