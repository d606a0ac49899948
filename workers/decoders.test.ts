/**
 * The pool picks a frame's decoder by its `protocol`: records written before the field existed read as DLMS,
 * an unknown protocol and a frame with no device are dead-lettered with the reason, and a decoder that needs
 * the device's registry context gets it from the task (or the task says which devices it lacked).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import avsc from 'avsc';
import { avroType, type RawFrame } from '../schemas/avro/index.js';
import { dayStart, loadProfileFrame, READINGS_PER_FRAME } from '../decoders/dlms/samples.js';
import { OMS_MODE5 } from '../decoders/mbus/fixtures.js';
import { DecoderPool } from './pool.js';
import { protocols } from './decoders.js';

/** The raw-frame schema as first registered (no `protocol`, `meta`, `protocolContext`). */
const V1_TEXT = readFileSync(new URL('./fixtures/raw-frame-v1.avsc', import.meta.url), 'utf8');
const v1 = avsc.Type.forSchema(JSON.parse(V1_TEXT) as avsc.Schema);
const current = avroType('raw-frame');

/** Confluent wire format: magic 0, schema id, Avro body. */
function framed(id: number, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(id, 1);
  return Buffer.concat([head, body]);
}

let pool: DecoderPool;
before(() => {
  pool = new DecoderPool({ threads: 1 });
});
after(() => pool.close());

test('a record of the first raw-frame schema is read with the current one and decoded as DLMS', async () => {
  const frame = loadProfileFrame(5, dayStart(2));
  const { protocol: _p, meta: _m, ...old } = frame;
  const message = framed(1, v1.toBuffer({ ...old, context: { ...old.context!, captureObjects: old.context!.captureObjects.map(({ store: _s, ...o }) => o) } }));
  const r = await pool.decode([message], { 1: V1_TEXT }, 1_700_000_000);
  assert.deepEqual(r.failures, []);
  assert.equal(r.readings, READINGS_PER_FRAME);
  // The evolved schema reads the old bytes with the defaults.
  const read = current.fromBuffer(message.subarray(5), current.createResolver(v1)) as RawFrame;
  assert.deepEqual([read.protocol, read.meta, read.context?.protocolContext], ['dlms', {}, null]);
  assert.deepEqual(protocols, ['dlms', 'mbus', 'lorawan', 'smp-m']);
});

test('unknown protocol, no device: dead letters naming the reason, the device and the protocol', async () => {
  const schemas = { 2: JSON.stringify(current.schema()) };
  const other: RawFrame = { ...loadProfileFrame(6, dayStart(2)), protocol: 'zigbee' };
  const unbound: RawFrame = { ...loadProfileFrame(7, dayStart(2)), deviceId: null };
  const r = await pool.decode([framed(2, current.toBuffer(other)), framed(2, current.toBuffer(unbound))], schemas, 1_700_000_000);
  assert.equal(r.readings, 0);
  assert.deepEqual(r.failures.map((f) => [f.index, f.stage, f.deviceId, f.protocol]), [[0, 'decode', 6, 'zigbee'], [1, 'decode', null, 'dlms']]);
  assert.match(r.failures[0]!.reason, /no decoder for protocol "zigbee"/);
  assert.match(r.failures[1]!.reason, /no device id/);
});

test('a frame whose decoder needs the device context: the task names the devices it lacked, then decodes with them', async () => {
  const schemas = { 2: JSON.stringify(current.schema()) };
  const good = framed(2, current.toBuffer(loadProfileFrame(8, dayStart(2))));
  const push = framed(2, current.toBuffer({ ...loadProfileFrame(9, dayStart(2)), context: null }));
  const first = await pool.decode([good, push, push], schemas, 1_700_000_000);
  assert.deepEqual([first.missingDevices, first.readings, first.failures], [[9], 0, []]);
  const second = await pool.decode([good, push, push], schemas, 1_700_000_000, { contexts: new Map([[9, null]]) });
  assert.deepEqual(second.missingDevices, []);
  assert.equal(second.readings, READINGS_PER_FRAME);
  assert.deepEqual(second.failures.map((f) => [f.index, f.deviceId]), [[1, 9], [2, 9]]);
});

test('M-Bus frames: decoded with the device profile and key the task carries; a wrong key is a dead letter with its code and device', async () => {
  const schemas = { 2: JSON.stringify(current.schema()) };
  const telegram = (deviceId: number): Buffer => framed(2, current.toBuffer({
    frameId: `t${deviceId}`, wire: Buffer.from(OMS_MODE5.hex, 'hex'), framing: 'MBUS', direction: 'UPLINK', deviceId, commLineId: null, connector: 'wmbus:gw',
    receivedAt: Date.UTC(2026, 0, 1), sessionId: null, protocol: 'mbus', meta: {},
    context: { archive: 'current', retentionDays: 0, deviceTzMinutes: 0, source: 'PUSH', captureObjects: [], journal: null, eventCodes: null, protocolContext: null },
  } satisfies RawFrame));
  const profile = { id: 'GAS', version: '1', body: { mbus: { records: [{ quantity: 'volume', obis: '7.0.3.0.0.255' }] } } };
  const entry = (num: number, key: string) => ({ num, serial: `M${num}`, projectId: 'p', profile, protocol: { kind: 'MBUS', settings: {} }, secrets: { MBUS_AES: key }, overrides: {} });
  const first = await pool.decode([telegram(11), telegram(12)], schemas, 1_700_000_000);
  assert.deepEqual(first.missingDevices, [11, 12]);
  const r = await pool.decode([telegram(11), telegram(12)], schemas, 1_700_000_000, {
    contexts: new Map([[11, entry(11, OMS_MODE5.key!)], [12, entry(12, '000102030405060708090A0B0C0D0E0F')]]),
  });
  assert.equal(r.readings, 1);
  assert.deepEqual(r.unmapped, { mbus: 1 }, 'the error flags record the profile leaves out, of the stored frame only');
  assert.deepEqual(r.failures.map((f) => [f.index, f.deviceId, f.protocol, f.errorCode]), [[1, 12, 'mbus', 'MBUS_ERR_DECRYPT']]);
  assert.match(r.failures[0]!.reason, /decryption failed \(check the key\)/);
});

test('the threads keep the contexts they were sent; a new context object for a device (a key changed) replaces the old one in every thread', async () => {
  const schemas = { 2: JSON.stringify(current.schema()) };
  const telegram = framed(2, current.toBuffer({
    frameId: 't21', wire: Buffer.from(OMS_MODE5.hex, 'hex'), framing: 'MBUS', direction: 'UPLINK', deviceId: 21, commLineId: null, connector: 'wmbus:gw',
    receivedAt: Date.UTC(2026, 0, 1), sessionId: null, protocol: 'mbus', meta: {},
    context: { archive: 'current', retentionDays: 0, deviceTzMinutes: 0, source: 'PUSH', captureObjects: [], journal: null, eventCodes: null, protocolContext: null },
  } satisfies RawFrame));
  const profile = { id: 'GAS', version: '1', body: { mbus: { records: [{ quantity: 'volume', obis: '7.0.3.0.0.255' }] } } };
  const withKey = (key: string) => ({ num: 21, serial: 'M21', projectId: 'p', profile, protocol: { kind: 'MBUS', settings: {} }, secrets: { MBUS_AES: key }, overrides: {} });
  const wrong = new Map([[21, withKey('000102030405060708090A0B0C0D0E0F')]]);
  // Two threads and several tasks at once, so that each thread decodes with what it holds.
  const two = new DecoderPool({ threads: 2 });
  try {
    const all = (contexts: typeof wrong) => Promise.all([0, 1, 2, 3, 4, 5].map(() => two.decode([telegram], schemas, 1_700_000_000, { contexts })));
    for (const r of await all(wrong)) assert.deepEqual([r.readings, r.failures[0]?.errorCode], [0, 'MBUS_ERR_DECRYPT']);
    const right = new Map([[21, withKey(OMS_MODE5.key!)]]);
    for (const r of await all(right)) assert.deepEqual([r.readings, r.failures], [1, []]);
    // The old object again is a change too: whatever the pipeline hands over is what decodes.
    for (const r of await all(wrong)) assert.equal(r.failures[0]?.errorCode, 'MBUS_ERR_DECRYPT');
  } finally {
    await two.close();
  }
});
