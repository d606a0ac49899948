/**
 * The shipped device profiles declare the simulator's Push Setups as the meters push them: every daily,
 * interval and journal alarm push of the IDIS, CE308 and CE208 meters decodes, with nothing but the profile's
 * `pushes` section, to what the polled path makes of the same rows with the capture objects and scalers read
 * from the meter; an alarm register push to one event per bit the meter set; a power-down push to an outage
 * start. The IDIS fleet is high-gmac: its pushes are ciphered and deciphered with each meter's keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeApdu, encodeApdu, type DataNotification } from '../decoders/dlms/apdu/index.js';
import type { DlmsData } from '../decoders/dlms/axdr/types.js';
import { ClassId, decodeCaptureObjects } from '../decoders/dlms/cosem/index.js';
import { DlmsFrameDecoder } from '../decoders/dlms/frame-decoder.js';
import { formatObis, parseObis } from '../decoders/dlms/obis.js';
import { decodeScalerUnit, unitSymbol } from '../decoders/dlms/units.js';
import type { CaptureObject, DecodingContext, DeviceContext, RawFrame } from '../decoders/protocol-decoder.js';
import { recordingOutput } from '../decoders/testing.js';
import { loadProfiles } from '../registry/profiles.js';
import { DEFAULT_FLEET, Fleet } from './fleet.js';
import { duePushes, pushApdu } from './push.js';
import { MeterObjects } from './objects/index.js';

const DAY = 86_400_000;
const START = Date.UTC(2025, 2, 10);
const shipped = new Map(loadProfiles().map((p) => [p.id, p]));

for (const [sim, profileId, security] of [['idis', 'DL_IDIS', 'high-gmac'], ['ce308', 'DL_CE_308', 'none'], ['ce208', 'DL_CE_208', 'none']] as const) {
  test(`${sim} pushes decode with the ${profileId} profile’s pushes to what a poll of the same rows stores`, () => {
    const fleet = new Fleet({ ...DEFAULT_FLEET, profile: sim, meters: 3, security, faults: [{ outagesPerDay: 1 }] }, () => START + DAY);
    const profile = shipped.get(profileId)!;
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    const device = (num: number): DeviceContext => ({
      num, serial: String(num), projectId: 'p', profile: { id: profileId, version: '1', body: { ...profile } }, protocol: { kind: 'DLMS', settings: {} },
      secrets: { encryptionKey: hex(fleet.keys(num - 1).blockCipherKey), authenticationKey: hex(fleet.keys(num - 1).authenticationKey) }, overrides: {},
    });
    const journals = profile.journals as Record<string, { obis: string; codes?: string }>;
    const decoder = new DlmsFrameDecoder();
    const seen = new Set<string>();
    for (const p of duePushes(fleet, ['daily', 'interval', 'alarm', 'power-down'], START, START + DAY, [0, 1, 2])) {
      const { apdu } = pushApdu(fleet, p);
      assert.equal(apdu[0], security === 'high-gmac' ? 0xdb : 0x0f, 'general-glo-ciphered when the meter is high-gmac');
      const frame: RawFrame = {
        frameId: 'f', wire: Buffer.from(apdu), framing: 'APDU', direction: 'UPLINK', deviceId: p.index + 1, commLineId: null, connector: 'push',
        receivedAt: p.timeMs, sessionId: null, context: null, protocol: 'dlms', meta: {},
      };
      const pushed = recordingOutput(1);
      decoder.decode(frame, pushed, device(p.index + 1));
      seen.add(p.setup);
      const setup = fleet.table.pushSetups.find((s) => s.obis === p.setup)!;
      const last = setup.objects[setup.objects.length - 1]!;
      if (setup.trigger.kind === 'power-down') {
        assert.deepEqual(pushed.states, [{ deviceId: p.index + 1, archive: 'state-outage', code: 'power', value: 'off', at: p.timeMs }]);
        continue;
      }
      const plain = security === 'high-gmac' ? pushApdu(new Fleet({ ...fleet.config, security: 'none' }, () => START + DAY), p).apdu : apdu;
      const body = ((decodeApdu(plain) as DataNotification).body as { value: DlmsData[] }).value;
      if (last.classId !== ClassId.profileGeneric) {
        // the alarm register: one event per bit the meter set
        const bits = (body[body.length - 1] as { value: number }).value;
        assert.ok(bits > 0, 'an alarm sets its bit');
        assert.deepEqual(pushed.events.map((e) => [e.journal, e.code, e.ts * 1000]), [...Array(32).keys()].filter((b) => (bits >>> b) & 1).map((b) => ['alarms', b, Math.floor(p.timeMs / 1000) * 1000]));
        assert.ok(pushed.events.every((e) => e.name !== 'unknown' && e.severity !== ''), 'named, with the profile’s severity');
        continue;
      }
      // the same rows as a poll hands them over: the capture objects and scalers read from the meter
      const buffer = body[body.length - 1]!;
      const bufferObis = last.logicalName as string;
      const journal = Object.entries(journals).find(([, j]) => j.obis === bufferObis);
      const polled = recordingOutput(1);
      const context: DecodingContext = {
        archive: Object.entries(profile.archives as Record<string, { obis: string }>).find(([, a]) => a.obis === bufferObis)?.[0] ?? 'events',
        retentionDays: 0, deviceTzMinutes: fleet.profile.utcOffsetMinutes, source: 'PUSH', captureObjects: meterColumns(fleet, p.index, bufferObis, p.timeMs),
        journal: journal?.[0] ?? null, eventCodes: journal?.[1].codes ?? null,
      };
      decoder.decode({ ...frame, wire: Buffer.from(encodeApdu({ type: 'get-response-normal', invokeIdAndPriority: 0xc1, result: { type: 'data', value: buffer } })), context }, polled, device(p.index + 1));
      assert.ok(pushed.rows.length + pushed.events.length > 0, `push ${p.setup} of meter ${p.index} stores something`);
      assert.deepEqual(pushed.rows, polled.rows, `push ${p.setup} of meter ${p.index}`);
      assert.deepEqual(pushed.events, polled.events, `push ${p.setup} of meter ${p.index}`);
    }
    const all = ['0.1.25.9.0.255', '0.2.25.9.0.255', '0.3.25.9.0.255', '0.7.25.9.0.255', '0.8.25.9.0.255'];
    assert.ok(all.every((s) => seen.has(s)), `daily, interval, power alarm, alarm register and power-down pushes seen: ${[...seen].join(', ')}`);
  });
}

/** A profile's columns as the DLMS reader builds them: capture objects and each register's scaler_unit, read from the meter. */
function meterColumns(fleet: Fleet, index: number, obis: string, nowMs: number): CaptureObject[] {
  const meter = fleet.acquire(index);
  try {
    const objects = new MeterObjects(fleet.table, { meter, nowMs, session: { clientSap: 1, serverSap: 1, mechanism: 0, ciphered: false, invocationCounter: 0 } });
    const get = (classId: number, o: string, attributeId: number): DlmsData => {
      const r = objects.get({ classId, instanceId: parseObis(o), attributeId });
      assert.equal(r.type, 'data', `${o}/${attributeId}`);
      return (r as { value: DlmsData }).value;
    };
    return decodeCaptureObjects(get(ClassId.profileGeneric, obis, 3)).map((c) => {
      const code = formatObis(c.logicalName);
      const su = c.classId === 3 || c.classId === 4 ? decodeScalerUnit(get(c.classId, code, 3)) : undefined;
      const e = Number(code.split('.')[4]);
      return {
        classId: c.classId, obis: code, attribute: c.attributeIndex, dataIndex: c.dataIndex, scaler: su?.scaler ?? 0, unit: su ? unitSymbol(su.unit) : '', readingType: null,
        tariff: su && code.startsWith('1.') && e >= 1 && e <= 4 ? e : 0,
      };
    });
  } finally {
    fleet.leave(meter);
  }
}
