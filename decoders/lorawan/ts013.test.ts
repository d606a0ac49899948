/**
 * TS013 codecs in the sandbox: a published-style codec decodes, its data is mapped to readings by the profile's
 * values; a codec that throws, loops, answers garbage or reaches for Node's globals fails with a coded reason
 * (a dead letter in the pool) and the decoder keeps decoding.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { recordingOutput } from '../testing.js';
import type { DeviceContext, RawFrame } from '../protocol-decoder.js';
import { LorawanDecoder } from './decoder.js';
import { LorawanError } from './errors.js';
import { TS013_WATER_CODEC, TS013_WATER_UPLINK } from './fixtures.js';
import { Ts013Codec, toRawScaler, valueAt } from './ts013.js';

const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const T = Date.UTC(2026, 11, 7, 10, 30);
const fails = (code: string, message?: RegExp) => (e: unknown) => e instanceof LorawanError && e.code === code && (!message || message.test(e.message));

describe('TS013 sandbox', () => {
  it('runs a codec\'s decodeUplink on the bytes, fPort and receive time', () => {
    const codec = new Ts013Codec(TS013_WATER_CODEC);
    assert.deepEqual(codec.decodeUplink(hex(TS013_WATER_UPLINK), 10, new Date(T)), {
      data: { volume: 1234.567, temperature: 12.34, alarms: { leak: true, reverseFlow: false } }, warnings: ['leak'], errors: [],
    });
    const echo = new Ts013Codec('function decodeUplink(i) { return { data: { iso: i.recvTime.toISOString(), isDate: i.recvTime instanceof Date, port: i.fPort } }; }');
    assert.deepEqual(echo.decodeUplink(hex('00'), 3, new Date(T)).data, { iso: new Date(T).toISOString(), isDate: true, port: 3 });
  });

  it('refuses a codec that reports errors, throws, loops or answers garbage — and keeps working afterwards', () => {
    const codec = new Ts013Codec(TS013_WATER_CODEC);
    assert.throws(() => codec.decodeUplink(hex('01'), 10, new Date(T)), fails('TS013_CODEC_ERRORS', /payload too short: 1 bytes/));
    const cases: [string, string, RegExp][] = [
      ['function decodeUplink() { throw new Error("bad byte 3"); }', 'TS013_THREW', /decodeUplink threw: bad byte 3/],
      ['function decodeUplink() { for (;;) {} }', 'TS013_TIMEOUT', /ran longer than 50 ms/],
      ['function decodeUplink() { return 42; }', 'TS013_GARBAGE', /no object/],
      ['function decodeUplink() { return { data: [1] }; }', 'TS013_GARBAGE', /no data object/],
      ['function decodeUplink() { return { data: {}, warnings: "x" }; }', 'TS013_GARBAGE', /warnings is not an array/],
      ['function decodeUplink() { return { data: { s: "x".repeat(100000) } }; }', 'TS013_GARBAGE', /characters of JSON/],
      ['function decodeUplink() { return Promise.resolve({ data: {} }); }', 'TS013_GARBAGE', /no data object/],
      ['JSON.stringify = function () { return "{"; }; function decodeUplink() { return {}; }', 'TS013_GARBAGE', /no JSON/],
      ['function decodeUplink() { return { data: { n: 1n } }; }', 'TS013_THREW', /BigInt/],
    ];
    for (const [source, code, message] of cases) assert.throws(() => new Ts013Codec(source).decodeUplink(hex('00'), 1, new Date(T)), fails(code, message), source);
    assert.equal(codec.decodeUplink(hex(TS013_WATER_UPLINK), 10, new Date(T)).data.volume, 1234.567, 'the codec still answers after the others failed');
  });

  it('refuses a codec that does not load: syntax, no decodeUplink, a loop at load time', () => {
    assert.throws(() => new Ts013Codec('function decodeUplink( {'), fails('TS013_SYNTAX'));
    assert.throws(() => new Ts013Codec('function encodeDownlink() {}'), fails('TS013_NO_DECODE_UPLINK'));
    assert.throws(() => new Ts013Codec('while (true) {}'), fails('TS013_TIMEOUT', /loading the codec ran longer/));
  });

  it('gives the codec no Node: no require, process, Buffer, timers, fetch, eval or way back to the host', () => {
    const probe = new Ts013Codec(`function decodeUplink(input) {
      var host = null;
      try { host = input.constructor.constructor('return typeof process')(); } catch (e) { host = 'refused: ' + e.name; }
      return { data: { require: typeof require, process: typeof process, Buffer: typeof Buffer, setTimeout: typeof setTimeout,
        setImmediate: typeof setImmediate, queueMicrotask: typeof queueMicrotask, fetch: typeof fetch, globalThis: Object.keys(globalThis).sort().join(), host: host } };
    }`);
    const data = probe.decodeUplink(hex('00'), 1, new Date(T)).data;
    assert.deepEqual({ ...data, host: undefined }, { require: 'undefined', process: 'undefined', Buffer: 'undefined', setTimeout: 'undefined', setImmediate: 'undefined', queueMicrotask: 'undefined', fetch: 'undefined', globalThis: '__input,decodeUplink', host: undefined });
    assert.match(String(data.host), /^refused: EvalError$/, 'the context\'s Function constructor refuses code from strings');
  });

  it('encodes a command with the codec\'s encodeDownlink: bytes and fPort checked', () => {
    const codec = new Ts013Codec(`${TS013_WATER_CODEC}
      function encodeDownlink(input) {
        if (input.data.valve === 'open') return { bytes: [0x01, 0x01], fPort: 20 };
        if (input.data.valve === 'close') return { bytes: [0x01, 0x00], fPort: 20 };
        if (input.data.valve === 'big') return { bytes: [256], fPort: 20 };
        return { errors: ['unknown command'] };
      }`);
    assert.deepEqual(codec.encodeDownlink({ valve: 'close' }), { bytes: Uint8Array.from([1, 0]), fPort: 20, warnings: [] });
    assert.throws(() => codec.encodeDownlink({ valve: 'half' }), fails('TS013_CODEC_ERRORS', /unknown command/));
    assert.throws(() => codec.encodeDownlink({ valve: 'big' }), fails('TS013_GARBAGE', /bytes are not an array/));
    assert.throws(() => new Ts013Codec(TS013_WATER_CODEC).encodeDownlink({}), fails('TS013_NO_ENCODE_DOWNLINK'));
  });

  it('finds values by path and stores decimals as integer and scaler', () => {
    const data = { a: { b: [{ c: 5 }, { c: 6 }] }, t: true, s: 'x', n: null };
    assert.equal(valueAt(data, 'a.b[1].c'), 6);
    assert.equal(valueAt(data, 't'), 1);
    assert.equal(valueAt(data, 'a.x'), undefined);
    assert.equal(valueAt(data, 'n'), undefined);
    assert.equal(valueAt(data, 'a.b[0].constructor'), undefined, 'own properties only');
    assert.throws(() => valueAt(data, 's'), fails('TS013_NOT_A_NUMBER', /data.s is "x"/));
    assert.deepEqual(toRawScaler(1234.567), { raw: 1234567, scaler: -3 });
    assert.deepEqual(toRawScaler(-7), { raw: -7, scaler: -0 });
    assert.deepEqual(toRawScaler(0.1 + 0.2), { raw: 3, scaler: -1 });
    assert.throws(() => toRawScaler(1e300), fails('TS013_NOT_A_NUMBER'));
  });
});

describe('LoRaWAN decoder with a TS013 codec', () => {
  const profile = {
    id: 'LORAWAN_TS013', name: 't', deviceTypes: ['LORAWAN'], protocol: 'LORAWAN', protocolMaps: [],
    lorawan: {
      codecs: [{ codec: 'ts013', fPorts: [10], script: TS013_WATER_CODEC }, { codec: 'ts013', fPorts: [11], script: 'function decodeUplink() { for (;;) {} }' }],
      values: [
        { path: 'volume', obis: '8.0.1.0.0.255', unit: 'm³' },
        { path: 'temperature', obis: '8.0.41.0.0.255', unit: '°C', archive: 'telemetry' },
        { path: 'alarms.leak', obis: '0.0.97.97.0.255' },
        { path: 'missing.value', obis: '0.0.96.9.9.255' },
      ],
    },
  };
  const device: DeviceContext = { num: 7, serial: 'W-1', projectId: 'p', profile: { id: profile.id, version: '1', body: profile }, protocol: { kind: 'LORAWAN', settings: {} }, secrets: {}, overrides: {} };
  const uplink = (payload: string, fPort: number): RawFrame => ({
    frameId: 'chirpstack:d', wire: Buffer.from(payload, 'hex'), framing: 'LORAWAN', direction: 'UPLINK', deviceId: 7, commLineId: null, connector: 'chirpstack',
    receivedAt: T, sessionId: null, protocol: 'lorawan', meta: { devEui: '70B3D5E75E000001', fPort: String(fPort), fCnt: '3' },
    context: { archive: 'current', retentionDays: 365, deviceTzMinutes: 60, source: 'PUSH', captureObjects: [], journal: null, eventCodes: null, protocolContext: null },
  });

  it('maps the codec\'s data to readings by the profile\'s values (path → OBIS, unit, archive); unmapped and absent values are not stored', () => {
    const decoder = new LorawanDecoder();
    const out = recordingOutput();
    assert.equal(decoder.decode(uplink(TS013_WATER_UPLINK, 10), out, device), 3);
    assert.deepEqual(out.rows.map((r) => [r.deviceId, r.archive, r.obis, r.ts, r.value, r.unit, r.deviceTz]), [
      [7, 'current', '8.0.1.0.0.255', T / 1000, 1234.567, 'm³', 60],
      [7, 'telemetry', '8.0.41.0.0.255', T / 1000, 12.34, '°C', 60],
      [7, 'current', '0.0.97.97.0.255', T / 1000, 1, '', 60],
    ]);
  });

  it('a looping codec is a dead letter naming the DevEUI and fPort; the next uplink decodes', () => {
    const decoder = new LorawanDecoder();
    assert.throws(() => decoder.decode(uplink('00', 11), recordingOutput(), device), fails('TS013_TIMEOUT', /^DevEUI 70B3D5E75E000001 fPort 11: decodeUplink ran longer/));
    assert.throws(() => decoder.decode(uplink('01', 10), recordingOutput(), device), fails('TS013_CODEC_ERRORS', /payload too short/));
    assert.equal(decoder.decode(uplink(TS013_WATER_UPLINK, 10), recordingOutput(), device), 3);
  });
});
