/**
 * The shipped device profiles declare the simulator's Push Setups as the meters push them: every daily,
 * interval and alarm push of the IDIS, CE308 and CE208 meters decodes, with nothing but the profile's `pushes`
 * section, to what the polled path makes of the same rows with the capture objects and scalers read from
 * the meter.
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
import { loadProfiles } from '../registry/seed.js';
import { DEFAULT_FLEET, Fleet } from './fleet.js';
import { duePushes, pushApdu } from './push.js';
import { MeterObjects } from './objects/index.js';

const DAY = 86_400_000;
const START = Date.UTC(2025, 2, 10);
const shipped = new Map(loadProfiles().map((p) => [p.id, p]));

for (const [sim, profileId] of [['idis', 'DL_IDIS'], ['ce308', 'DL_CE_308'], ['ce208', 'DL_CE_208']] as const) {
  test(`${sim} pushes decode with the ${profileId} profile’s pushes to what a poll of the same rows stores`, () => {
    const fleet = new Fleet({ ...DEFAULT_FLEET, profile: sim, meters: 3, faults: [{ outagesPerDay: 1 }] }, () => START + DAY);
    const profile = shipped.get(profileId)!;
    const device = (num: number): DeviceContext => ({
      num, serial: String(num), projectId: 'p', profile: { id: profileId, version: '1', body: profile }, protocol: { kind: 'DLMS', settings: {} }, secrets: {}, overrides: {},
    });
    const journals = profile.journals as Record<string, { obis: string; codes?: string }>;
    const decoder = new DlmsFrameDecoder();
    const seen = new Set<string>();
    for (const p of duePushes(fleet, ['daily', 'interval', 'alarm'], START, START + DAY, [0, 1, 2])) {
      const { apdu } = pushApdu(fleet, p);
      const frame: RawFrame = {
        frameId: 'f', wire: Buffer.from(apdu), framing: 'APDU', direction: 'UPLINK', deviceId: p.index + 1, commLineId: null, connector: 'push',
        receivedAt: p.timeMs, sessionId: null, context: null, protocol: 'dlms', meta: {},
      };
      const pushed = recordingOutput(1);
      decoder.decode(frame, pushed, device(p.index + 1));
      // the same rows as a poll hands them over: the capture objects and scalers read from the meter
      const body = ((decodeApdu(apdu) as DataNotification).body as { value: DlmsData[] }).value;
      const buffer = body[body.length - 1]!;
      const setup = fleet.table.pushSetups.find((s) => s.obis === p.setup)!;
      const bufferObis = setup.objects[setup.objects.length - 1]!.logicalName as string;
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
      seen.add(p.setup);
    }
    assert.ok(['0.1.25.9.0.255', '0.2.25.9.0.255', '0.3.25.9.0.255'].every((s) => seen.has(s)), `daily, interval and power alarm pushes seen: ${[...seen].join(', ')}`);
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
