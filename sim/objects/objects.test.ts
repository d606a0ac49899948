import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dateTimeToUtcMs } from '../../decoders/dlms/axdr/datetime.js';
import { fromHex, toHex } from '../../decoders/dlms/axdr/writer.js';
import type { DlmsData } from '../../decoders/dlms/axdr/types.js';
import { ActionResult, DataAccessResult, decodeApdu, encodeApdu, entryAccess, type GetDataResult, type SelectiveAccess } from '../../decoders/dlms/apdu/index.js';
import { GET_FIXTURES } from '../../decoders/dlms/apdu/xdlms/get/fixtures.js';
import {
  ClassId,
  ImageTransferStatus,
  activityCalendarAttributes,
  associationLnAttributes,
  clockAttributes,
  compileRowLayout,
  decodeCaptureObjects,
  decodeRelayLock,
  disconnectControlAttributes,
  imageTransferAttributes,
  imageTransferMethods,
  limiterAttributes,
  profileRowsFromData,
  rangeDescriptor,
  registerAttributes,
  specialDaysAttributes,
  specialDaysMethods,
} from '../../decoders/dlms/cosem/index.js';
import { parseObis } from '../../decoders/dlms/obis.js';
import { Fleet, DEFAULT_FLEET, type FleetConfig } from '../fleet.js';
import { MeterObjects } from './index.js';
import { IMAGE_BLOCK_SIZE } from './control.js';

const NOW = Date.UTC(2025, 2, 10, 9, 34, 56); // 12:34:56 at UTC+3

function session(config: Partial<FleetConfig> = {}, index = 0, now = NOW) {
  const fleet = new Fleet({ ...DEFAULT_FLEET, meters: 5, ...config }, () => now);
  const meter = fleet.meter(index);
  const objects = new MeterObjects(fleet.table, { meter, nowMs: now, session: { clientSap: 16, serverSap: 1, mechanism: 0, ciphered: false, invocationCounter: 5009 } });
  const get = (classId: number, obis: string, attr: number, access?: SelectiveAccess): DlmsData => {
    const r = objects.get({ classId, instanceId: parseObis(obis), attributeId: attr }, access);
    assert.equal(r.type, 'data', `${classId}/${obis}/${attr}: ${JSON.stringify(r)}`);
    return (r as { value: DlmsData }).value;
  };
  const action = (classId: number, obis: string, method: number, params: DlmsData = { type: 'integer', value: 0 }) =>
    objects.action({ classId, instanceId: parseObis(obis), methodId: method }, params).result;
  const set = (classId: number, obis: string, attr: number, value: DlmsData) => objects.set({ classId, instanceId: parseObis(obis), attributeId: attr }, value);
  return { fleet, meter, objects, get, action, set };
}

const ts = (iso: string, dev: number): DlmsData => {
  const d = new Date(iso);
  return {
    type: 'octet-string',
    value: fromHex(
      [d.getUTCFullYear() >> 8, d.getUTCFullYear() & 255, d.getUTCMonth() + 1, d.getUTCDate(), 0xff, d.getUTCHours(), d.getUTCMinutes(), 0, 0, (dev >> 8) & 255, dev & 255, 0]
        .map((b) => b.toString(16).padStart(2, '0'))
        .join(''),
    ),
  };
};

function rows(buffer: DlmsData, captureObjects: DlmsData) {
  return profileRowsFromData(buffer, compileRowLayout(decodeCaptureObjects(captureObjects)));
}

test('the data of a meter is deterministic per serial and differs between serials', () => {
  const a = session().get(ClassId.register, '1.0.1.8.0.255', 2);
  const b = session().get(ClassId.register, '1.0.1.8.0.255', 2);
  const c = session({}, 1).get(ClassId.register, '1.0.1.8.0.255', 2);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('clock, identification and registers read through the typed views', () => {
  const { get } = session();
  const time = clockAttributes.time.decode(get(ClassId.clock, '0.0.1.0.0.255', 2));
  assert.equal(time.deviation, -180);
  assert.equal(dateTimeToUtcMs(time), NOW);
  assert.equal(clockAttributes.timeZone.decode(get(ClassId.clock, '0.0.1.0.0.255', 3)), -180);
  assert.equal(new TextDecoder().decode((get(ClassId.data, '0.0.42.0.0.255', 2) as { value: Uint8Array }).value), 'EGM30800001');
  assert.deepEqual(registerAttributes.scalerUnit.decode(get(ClassId.register, '1.0.1.8.0.255', 3)), { scaler: 0, unit: 30 });
  assert.deepEqual(registerAttributes.scalerUnit.decode(get(ClassId.register, '1.0.3.8.0.255', 3)), { scaler: 0, unit: 32 });
  const value = (obis: string) => (registerAttributes.value.decode(get(ClassId.register, obis, 2)) as { value: number }).value;
  assert.equal(value('1.0.1.8.0.255'), value('1.0.1.8.1.255') + value('1.0.1.8.2.255') + value('1.0.1.8.3.255') + value('1.0.1.8.4.255'));
  const volts = (registerAttributes.value.decode(get(ClassId.register, '1.0.32.7.0.255', 2)) as { value: number }).value / 10;
  assert.ok(volts > 220 && volts < 240, `${volts} V`);
});

test('unknown objects and attributes are refused with the right codes', () => {
  const { objects } = session();
  const r = (classId: number, obis: string, attr: number): GetDataResult => objects.get({ classId, instanceId: parseObis(obis), attributeId: attr });
  assert.deepEqual(r(ClassId.register, '1.0.99.99.0.255', 2), { type: 'data-access-result', value: DataAccessResult.objectUndefined });
  assert.deepEqual(r(ClassId.data, '0.0.1.0.0.255', 2), { type: 'data-access-result', value: DataAccessResult.objectUndefined }); // wrong class
  assert.deepEqual(r(ClassId.clock, '0.0.1.0.0.255', 20), { type: 'data-access-result', value: DataAccessResult.objectUndefined });
});

test('daily register deltas equal the sum of the 30-minute profile intervals (with outages)', () => {
  for (const faults of [[], [{ outagesPerDay: 0.5 }]]) {
    const { get } = session({ faults });
    const lp = '1.0.99.1.0.255';
    const co = get(ClassId.profileGeneric, lp, 3);
    const from = '2025-03-01T00:00:00Z';
    const to = '2025-03-09T00:00:00Z';
    const range = { selector: 1, parameters: rangeDescriptor(decodeCaptureObjects(co)[0]!, ts(from, -180), ts(to, -180)) };
    const profile = rows(get(ClassId.profileGeneric, lp, 2, range), co);
    const daily = rows(get(ClassId.profileGeneric, '1.0.98.2.0.255', 2, { selector: 1, parameters: rangeDescriptor(decodeCaptureObjects(co)[0]!, ts(from, -180), ts(to, -180)) }), get(ClassId.profileGeneric, '1.0.98.2.0.255', 3));
    assert.equal(daily.length, 9);
    if (!faults.length) assert.equal(profile.length, 8 * 48 + 1);
    else assert.ok(profile.length < 8 * 48 + 1, 'outages leave intervals out');
    for (let d = 0; d + 1 < daily.length; d++) {
      const [t0, t1] = [daily[d]!.timestamp!, daily[d + 1]!.timestamp!];
      const sum = profile.filter((r) => r.timestamp! > t0 && r.timestamp! <= t1).reduce((s, r) => s + (r.values[0] as number), 0);
      assert.equal((daily[d + 1]!.values[0] as number) - (daily[d]!.values[0] as number), sum, `day ${d}`);
    }
  }
});

test('selective access by entry returns the same rows as the whole buffer, columns cut', () => {
  const { get } = session();
  const lp = '1.0.99.2.0.255';
  const all = get(ClassId.profileGeneric, lp, 2) as { value: DlmsData[] };
  const inUse = (get(ClassId.profileGeneric, lp, 7) as { value: number }).value;
  assert.equal(all.value.length, inUse);
  assert.ok(inUse <= (get(ClassId.profileGeneric, lp, 8) as { value: number }).value);
  const some = get(ClassId.profileGeneric, lp, 2, entryAccess({ fromEntry: 3, toEntry: 7, fromSelectedValue: 1, toSelectedValue: 2 })) as { value: DlmsData[] };
  assert.equal(some.value.length, 5);
  for (let i = 0; i < 5; i++) assert.deepEqual(some.value[i], { type: 'structure', value: (all.value[i + 2] as { value: DlmsData[] }).value.slice(0, 2) });
  const tail = get(ClassId.profileGeneric, lp, 2, entryAccess({ fromEntry: inUse - 1, toEntry: 0, fromSelectedValue: 1, toSelectedValue: 0 })) as { value: DlmsData[] };
  assert.deepEqual(tail.value, all.value.slice(-2));
  const beyond = get(ClassId.profileGeneric, lp, 2, entryAccess({ fromEntry: inUse + 5, toEntry: 0, fromSelectedValue: 1, toSelectedValue: 0 })) as { value: DlmsData[] };
  assert.equal(beyond.value.length, 0);
});

test('the published range and entry requests (u9n/dlms-cosem vectors) select the right rows', () => {
  // decoders/dlms/apdu/xdlms/get/fixtures.ts: rangeRequest from u9n/dlms-cosem tests/test_xdlms/test_selective_access.py
  const now = Date.UTC(2017, 9, 2, 0, 0, 0);
  const { objects } = session({ profile: 'idis', historyStart: '2017-09-01' }, 0, now);
  for (const [fixture, count] of [
    [GET_FIXTURES.rangeRequest, 5],
    [GET_FIXTURES.entryRequest, 10],
  ] as const) {
    const req = decodeApdu(fromHex(fixture.replace(/ /g, '')));
    assert.equal(req.type, 'get-request-normal');
    if (req.type !== 'get-request-normal') return;
    const r = objects.get(req.attribute, req.access);
    assert.equal(r.type, 'data');
    const buffer = (r as { value: DlmsData }).value;
    const co = (objects.get({ ...req.attribute, attributeId: 3 }) as { value: DlmsData }).value;
    const got = rows(buffer, co);
    assert.equal(got.length, count);
    if (fixture === GET_FIXTURES.rangeRequest) {
      // 2017-10-01 00:00 and 01:00 at deviation -60 (UTC+1, the meter's zone): 23:00Z and 00:00Z, both ends included
      assert.equal(got[0]!.timestamp, Date.UTC(2017, 8, 30, 23, 0));
      assert.equal(got[4]!.timestamp, Date.UTC(2017, 9, 1, 0, 0));
    }
  }
});

test('GET responses match the published byte examples', () => {
  // clockResponse: u9n/dlms-cosem tests/test_xdlms/test_set.py date-time in a Get-Response-Normal
  const now = Date.UTC(2021, 0, 24, 13, 48, 57, 800); // 14:48:57.80 at deviation -60
  const { objects } = session({ profile: 'idis' }, 0, now);
  const clock = objects.get({ classId: 8, instanceId: parseObis('0.0.1.0.0.255'), attributeId: 2 });
  assert.equal(toHex(encodeApdu({ type: 'get-response-normal', invokeIdAndPriority: 0xc1, result: clock })), GET_FIXTURES.clockResponse.replace(/ /g, ''));
  // u32Response: u9n/dlms-cosem tests/test_xdlms/test_get.py, double-long-unsigned 5009 (the invocation counter)
  const counter = objects.get({ classId: 1, instanceId: parseObis('0.0.43.1.0.255'), attributeId: 2 });
  assert.equal(toHex(encodeApdu({ type: 'get-response-normal', invokeIdAndPriority: 0xc1, result: counter })), GET_FIXTURES.u32Response.replace(/ /g, ''));
});

test('disconnect control: remote disconnect / reconnect, and the relay lock states refuse', () => {
  const { get, action } = session();
  const dc = '0.0.96.3.10.255';
  const state = () => ({
    output: disconnectControlAttributes.outputState.decode(get(70, dc, 2)),
    control: disconnectControlAttributes.controlState.decode(get(70, dc, 3)),
  });
  assert.deepEqual(state(), { output: true, control: 1 });
  assert.equal(decodeRelayLock(get(1, '0.128.96.3.10.255', 2))?.name, 'auto');
  assert.equal(action(70, dc, 1), ActionResult.success);
  assert.deepEqual(state(), { output: false, control: 0 });
  assert.equal(action(70, dc, 2), ActionResult.success); // mode 2: straight back to connected
  assert.deepEqual(state(), { output: true, control: 1 });
  assert.equal(action(70, dc, 1, { type: 'unsigned', value: 0 }), ActionResult.typeUnmatched);

  const locked = session({ faults: [{ relayLocked: true }] });
  assert.equal(decodeRelayLock(locked.get(1, '0.128.96.3.10.255', 2))?.name, 'locked');
  assert.equal(locked.action(70, dc, 1), ActionResult.temporaryFailure);
  assert.equal(disconnectControlAttributes.outputState.decode(locked.get(70, dc, 2)), true);
  // forced-off lock: output open whatever the control state
  locked.meter.state.relays![0]!.lock = 2;
  assert.equal(disconnectControlAttributes.outputState.decode(locked.get(70, dc, 2)), false);
  assert.equal(locked.action(70, dc, 2), ActionResult.temporaryFailure);
});

test('relay events reach the journal', () => {
  const s = session({ profile: 'idis' });
  assert.equal(s.action(70, '0.0.96.3.10.255', 1), ActionResult.success);
  const log = s.get(7, '0.0.99.98.2.255', 2) as { value: DlmsData[] };
  const last = log.value.at(-1) as { value: DlmsData[] };
  assert.deepEqual(last.value[1], { type: 'long-unsigned', value: 1 });
});

test('image transfer: initiate, blocks with bitmap, verify, activate, new firmware version', () => {
  const s = session();
  const it = '0.0.44.0.0.255';
  const image = Uint8Array.from({ length: IMAGE_BLOCK_SIZE * 3 + 10 }, (_, i) => i & 0xff);
  const m = imageTransferMethods;
  assert.equal(s.action(18, it, 3), ActionResult.readWriteDenied); // verify before initiate
  assert.equal(s.action(18, it, 1, m.imageTransferInitiate.encode({ identifier: new TextEncoder().encode(`${s.meter.profile.name.toUpperCase()}-12.2.0`), size: image.length })), ActionResult.success);
  assert.equal(imageTransferAttributes.imageTransferStatus.decode(s.get(18, it, 6)), ImageTransferStatus.initiated);
  const block = (n: number) => m.imageBlockTransfer.encode({ blockNumber: n, value: image.subarray(n * IMAGE_BLOCK_SIZE, Math.min(image.length, (n + 1) * IMAGE_BLOCK_SIZE)) });
  for (const n of [0, 2]) assert.equal(s.action(18, it, 2, block(n)), ActionResult.success);
  assert.equal(s.action(18, it, 2, m.imageBlockTransfer.encode({ blockNumber: 1, value: new Uint8Array(3) })), ActionResult.otherReason);
  const bits = imageTransferAttributes.imageTransferredBlocksStatus.decode(s.get(18, it, 3));
  assert.equal(bits.length, 4);
  assert.equal(bits.bytes[0], 0b1010_0000);
  assert.equal(imageTransferAttributes.imageFirstNotTransferredBlockNumber.decode(s.get(18, it, 4)), 1);
  assert.equal(s.action(18, it, 3), ActionResult.otherReason);
  assert.equal(imageTransferAttributes.imageTransferStatus.decode(s.get(18, it, 6)), ImageTransferStatus.verificationFailed);
  assert.equal(s.action(18, it, 4), ActionResult.readWriteDenied);
  // resume: initiate again, send all
  s.action(18, it, 1, m.imageTransferInitiate.encode({ identifier: new TextEncoder().encode(`${s.meter.profile.name.toUpperCase()}-12.2.0`), size: image.length }));
  for (const n of [0, 1, 2, 3]) assert.equal(s.action(18, it, 2, block(n)), ActionResult.success);
  assert.equal(s.action(18, it, 3), ActionResult.success);
  assert.deepEqual(imageTransferAttributes.imageToActivateInfo.decode(s.get(18, it, 7)).map((i) => i.size), [image.length]);
  assert.equal(s.action(18, it, 4), ActionResult.success);
  assert.equal(imageTransferAttributes.imageTransferStatus.decode(s.get(18, it, 6)), ImageTransferStatus.activationSuccessful);
  assert.deepEqual(s.get(1, '0.0.96.1.2.255', 2), { type: 'visible-string', value: '12.2.0' });
  // the change survives the session
  s.fleet.release(s.meter);
  assert.equal(s.fleet.meter(0).state.firmware, '12.2.0');
});

test('image transfer faults: an image for another type refused at initiate, a refused block, a rejected and a bad image', () => {
  const it = '0.0.44.0.0.255';
  const m = imageTransferMethods;
  const image = Uint8Array.from({ length: IMAGE_BLOCK_SIZE * 2 }, (_, i) => i & 0xff);
  const block = (n: number) => m.imageBlockTransfer.encode({ blockNumber: n, value: image.subarray(n * IMAGE_BLOCK_SIZE, (n + 1) * IMAGE_BLOCK_SIZE) });
  const initiate = (s: ReturnType<typeof session>, id: string) => s.action(18, it, 1, m.imageTransferInitiate.encode({ identifier: new TextEncoder().encode(id), size: image.length }));
  const status = (s: ReturnType<typeof session>) => imageTransferAttributes.imageTransferStatus.decode(s.get(18, it, 6));

  const plain = session();
  assert.equal(initiate(plain, 'IDIS-2.0.0'), ActionResult.otherReason);
  assert.equal(status(plain), ImageTransferStatus.notInitiated);

  const failing = session({ faults: [{ imageBlockFailEvery: 2 }] });
  assert.equal(initiate(failing, 'CE308-2.0.0'), ActionResult.success);
  assert.equal(failing.action(18, it, 2, block(0)), ActionResult.success);
  assert.equal(failing.action(18, it, 2, block(1)), ActionResult.temporaryFailure);
  assert.equal(imageTransferAttributes.imageFirstNotTransferredBlockNumber.decode(failing.get(18, it, 4)), 1);
  assert.equal(failing.action(18, it, 2, block(1)), ActionResult.success);
  assert.equal(failing.meter.state.image?.duplicateBlocks, 0);
  assert.equal(failing.action(18, it, 2, block(0)), ActionResult.temporaryFailure);
  assert.equal(failing.action(18, it, 2, block(0)), ActionResult.success);
  assert.equal(failing.meter.state.image?.duplicateBlocks, 1);

  const rejecting = session({ faults: [{ imageRejected: true }] });
  assert.equal(initiate(rejecting, 'CE308-2.0.0'), ActionResult.success);
  for (const n of [0, 1]) assert.equal(rejecting.action(18, it, 2, block(n)), ActionResult.success);
  assert.equal(rejecting.action(18, it, 3), ActionResult.otherReason);
  assert.equal(status(rejecting), ImageTransferStatus.verificationFailed);

  const bad = session({ faults: [{ imageBad: true }] });
  assert.equal(initiate(bad, 'CE308-2.0.0'), ActionResult.success);
  for (const n of [0, 1]) assert.equal(bad.action(18, it, 2, block(n)), ActionResult.success);
  assert.equal(bad.action(18, it, 3), ActionResult.success);
  assert.equal(bad.action(18, it, 4), ActionResult.hardwareFault);
  assert.equal(status(bad), ImageTransferStatus.activationFailed);
  assert.deepEqual(bad.get(1, '0.0.96.1.2.255', 2), { type: 'visible-string', value: bad.meter.profile.firmware });
});

test('activity calendar passive → active, special days insert / delete, limiter SET type-checked', () => {
  const s = session();
  const ac = '0.0.13.0.0.255';
  assert.equal(s.set(20, ac, 6, { type: 'octet-string', value: new TextEncoder().encode('WINTER') }), DataAccessResult.success);
  assert.equal(s.set(20, ac, 2, { type: 'octet-string', value: new Uint8Array(1) }), DataAccessResult.readWriteDenied);
  assert.equal(s.action(20, ac, 1), ActionResult.success);
  assert.equal(new TextDecoder().decode(activityCalendarAttributes.calendarNameActive.decode(s.get(20, ac, 2))), 'WINTER');
  const day = activityCalendarAttributes.dayProfileTableActive.decode(s.get(20, ac, 5));
  assert.deepEqual(day[0]!.schedule.map((a) => a.scriptSelector), [2, 1, 3, 1, 3, 2]);

  const sd = '0.0.11.0.0.255';
  const entry = { index: 1, date: { year: 0xffff, month: 1, dayOfMonth: 7, dayOfWeek: 0xff }, dayId: 1 };
  assert.equal(s.action(11, sd, 1, specialDaysMethods.insert.encode(entry)), ActionResult.success);
  assert.deepEqual(specialDaysAttributes.entries.decode(s.get(11, sd, 2)).map((e) => e.index), [1]);
  assert.equal(s.action(11, sd, 2, specialDaysMethods.delete.encode(1)), ActionResult.success);
  assert.equal(specialDaysAttributes.entries.decode(s.get(11, sd, 2)).length, 0);

  const lim = '0.0.17.0.0.255';
  assert.equal(s.set(71, lim, 6, { type: 'double-long-unsigned', value: 120 }), DataAccessResult.success);
  assert.equal(limiterAttributes.minOverThresholdDuration.decode(s.get(71, lim, 6)), 120);
  assert.equal(s.set(71, lim, 6, { type: 'long', value: 1 }), DataAccessResult.typeUnmatched);
});

test('clock SET, shift and drift', () => {
  const s = session({ faults: [{ clockDriftPpm: 100 }] }, 0, NOW);
  const read = () => dateTimeToUtcMs(clockAttributes.time.decode(s.get(8, '0.0.1.0.0.255', 2)));
  assert.equal(read(), NOW); // drift counts from the fleet's start
  assert.equal(s.set(8, '0.0.1.0.0.255', 2, clockAttributes.time.encode({ ...clockAttributes.time.decode(s.get(8, '0.0.1.0.0.255', 2)), minute: 0, second: 0, hundredths: 0 })), DataAccessResult.success);
  assert.equal(read(), Date.UTC(2025, 2, 10, 9, 0, 0));
  assert.equal(s.action(8, '0.0.1.0.0.255', 6, { type: 'long', value: 30 }), ActionResult.success);
  assert.equal(read(), Date.UTC(2025, 2, 10, 9, 0, 30));
  const later = new MeterObjects(s.fleet.table, { ...s.objects.ctx, nowMs: NOW + 10_000_000 });
  const t = dateTimeToUtcMs(clockAttributes.time.decode((later.get({ classId: 8, instanceId: parseObis('0.0.1.0.0.255'), attributeId: 2 }) as { value: DlmsData }).value))!;
  assert.equal(t - (Date.UTC(2025, 2, 10, 9, 0, 30) + 10_000_000), 1000); // 100 ppm of 10,000 s
});

test('association object list lists every object with its access rights', () => {
  const s = session();
  const list = associationLnAttributes.objectList.decode(s.get(15, '0.0.40.0.0.255', 2));
  const find = (classId: number, ln: string) => list.find((o) => o.classId === classId && o.logicalName === ln);
  assert.ok(find(8, '0.0.1.0.0.255'));
  assert.equal(find(7, '1.0.99.1.0.255')!.accessRights.attributes.find((a) => a.id === 2)!.selectors?.join(), '1,2');
  assert.equal(find(70, '0.0.96.3.10.255')!.accessRights.methods.find((m) => m.id === 1)!.mode, 1);
  assert.equal(list.length, s.fleet.table.byKey.size);
  assert.deepEqual(associationLnAttributes.associatedPartnersId.decode(s.get(15, '0.0.40.0.0.255', 3)), { clientSap: 16, serverSap: 1 });
});
