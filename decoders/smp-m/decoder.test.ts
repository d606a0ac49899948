import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeviceContext, RawFrame } from '../protocol-decoder.js';
import { recordingOutput } from '../testing.js';
import { SmpmDecoder } from './decoder.js';
import { SmpmError } from './errors.js';
import { DOWNLINK_KEY, SERIAL, UPLINK_KEY, VECTORS } from './fixtures.js';

const device: DeviceContext = {
  num: 7, serial: String(SERIAL), projectId: 'p', profile: { id: 'DL_CE_207_SMP_M', version: '1', body: { eventSeverities: { 'cover opened': 'major' } } },
  protocol: { kind: 'SMP_M', settings: {} }, secrets: { XTEA_UPLINK: UPLINK_KEY, XTEA_DOWNLINK: DOWNLINK_KEY }, overrides: {},
};
const RECEIVED = Date.UTC(2026, 11, 7, 9, 30, 5);

function frame(hex: string, meta: Record<string, string> = {}): RawFrame {
  return {
    frameId: 'unb:1', wire: Buffer.from(hex, 'hex'), framing: 'SMPM', direction: 'UPLINK', deviceId: 7, commLineId: null, connector: 'unb', receivedAt: RECEIVED,
    sessionId: null, protocol: 'smp-m', meta: { serial: String(SERIAL), stationId: '9121', ...meta },
    context: { archive: 'current', retentionDays: 30, deviceTzMinutes: 180, source: 'PUSH', captureObjects: [], journal: null, eventCodes: null, protocolContext: null },
  };
}

test('end of day and current energy: A+ total and per tariff at the packet time, Wh, in their archives', () => {
  const d = new SmpmDecoder();
  const out = recordingOutput(100);
  assert.equal(d.decode(frame(VECTORS.endOfDay.packet), out, device), 3);
  assert.equal(d.decode(frame(VECTORS.current.packet), out, device), 3);
  assert.deepEqual(out.rows.map((r) => [r.archive, r.obis, r.tariff, r.ts, r.value, r.unit, r.deviceTz, r.retentionDays]), [
    ['end-of-day', '1.0.1.8.0.255', 0, Date.UTC(2026, 11, 6, 21) / 1000, 1234567, 'Wh', 180, 30],
    ['end-of-day', '1.0.1.8.1.255', 1, Date.UTC(2026, 11, 6, 21) / 1000, 800000, 'Wh', 180, 30],
    ['end-of-day', '1.0.1.8.2.255', 2, Date.UTC(2026, 11, 6, 21) / 1000, 434567, 'Wh', 180, 30],
    ['current', '1.0.1.8.0.255', 0, Date.UTC(2026, 11, 7, 9, 30) / 1000, 1240000, 'Wh', 180, 30],
    ['current', '1.0.1.8.1.255', 1, Date.UTC(2026, 11, 7, 9, 30) / 1000, 803000, 'Wh', 180, 30],
    ['current', '1.0.1.8.2.255', 2, Date.UTC(2026, 11, 7, 9, 30) / 1000, 436999, 'Wh', 180, 30],
  ]);
  assert.deepEqual(out.states.map((s) => [s.archive, s.value]), [['state-outage', 'on'], ['state-outage', 'on']]);
});

test('a profile stores each slice at its end and skips the slice without value', () => {
  const out = recordingOutput(100);
  assert.equal(new SmpmDecoder().decode(frame(VECTORS.profile.packet), out, device), 3);
  const t0 = Date.UTC(2026, 11, 7, 0, 15) / 1000;
  assert.deepEqual(out.rows.map((r) => [r.archive, r.obis, r.ts, r.value]), [
    ['profile-15', '1.0.1.29.0.255', t0, 120], ['profile-15', '1.0.1.29.0.255', t0 + 900, 95], ['profile-15', '1.0.1.29.0.255', t0 + 2700, 210],
  ]);
});

test('events go to their journals with the profile severity; power off/on drive the outage state', () => {
  const out = recordingOutput(100);
  new SmpmDecoder().decode(frame(VECTORS.events.packet), out, device);
  assert.deepEqual(out.events.map((e) => [e.journal, e.name, e.code, e.severity, e.device_tz]), [
    ['power-on-off', 'power off', 1, '', 180], ['power-on-off', 'power on', 2, '', 180], ['external-impact', 'cover opened', 3, 'major', 180],
  ]);
  assert.deepEqual(out.states.map((s) => [s.archive, s.value, s.at]), [
    ['state-outage', 'off', Date.UTC(2026, 11, 7, 3)], ['state-outage', 'on', Date.UTC(2026, 11, 7, 3, 12)],
  ]);
});

test('a command result sets the relay state and records the outcome in the relay journal', () => {
  const out = recordingOutput(100);
  new SmpmDecoder().decode(frame(VECTORS.commandResult.packet), out, device);
  assert.deepEqual(out.states.find((s) => s.archive === 'state-relay'), { deviceId: 7, archive: 'state-relay', code: 'relay-state', value: 'disconnected', at: RECEIVED });
  assert.equal(out.events[0]!.name, 'downlink command done');
  assert.equal(JSON.parse(out.events[0]!.params).downlinkCounter, 7);
});

test('wrong key, replayed counter, a downlink relayed as uplink, no key, no device: coded failures with the reason', () => {
  const d = new SmpmDecoder();
  const fails = (f: RawFrame, ctx: DeviceContext | null, c: string, text: RegExp) =>
    assert.throws(() => d.decode(f, recordingOutput(100), ctx), (e) => e instanceof SmpmError && e.code === c && text.test(e.message));
  fails(frame(VECTORS.current.packet), { ...device, secrets: { XTEA_UPLINK: DOWNLINK_KEY } }, 'SMPM_AUTH', /^serial 195000018 counter \? station 9121: authentication failed/);
  fails(frame(VECTORS.current.packet, { lastCounter: '58' }), device, 'SMPM_REPLAY', /replayed counter 42 \(the highest accepted is 58; up to 16 behind it are taken as late\)/);
  fails(frame(VECTORS.relayOff.packet), { ...device, secrets: { XTEA_UPLINK: DOWNLINK_KEY } }, 'SMPM_DIRECTION', /downlink/);
  fails(frame(VECTORS.current.packet), { ...device, secrets: {} }, 'SMPM_NO_KEY', /XTEA_UPLINK/);
  fails(frame(VECTORS.current.packet), null, 'SMPM_NO_DEVICE', /registry/);
  fails(frame(VECTORS.current.packet), { ...device, serial: '195000019' }, 'SMPM_SERIAL', /195000019/);
  // above the highest accepted counter, or late within the window: taken
  assert.equal(d.decode(frame(VECTORS.current.packet, { lastCounter: '41' }), recordingOutput(100), device), 3);
  assert.equal(d.decode(frame(VECTORS.current.packet, { lastCounter: '57' }), recordingOutput(100), device), 3);
});
