/**
 * `create MeterReadSchedules` / `get MeterReadSchedules` through POST /api/v1/cim: a schedule becomes a scheduled
 * collection task (reading types → archives, devices, recurrence → cron, enabled), visible in the task API too;
 * bad items one Error each naming the element (PARTIAL / FAILED); the collection task permissions per role.
 * Registry on both engines.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES } from '../../registry/testing.js';
import { createDevice } from '../../registry/project-data.js';
import { cronOfPeriod } from '../cim/read-schedules.js';
import { startHarness, type Harness } from './harness.js';

const A_PLUS_15 = '0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0';
const A_PLUS_DAY = '11.0.0.1.1.1.12.0.0.0.0.0.0.0.0.3.72.0';

interface Err { code: string; xpath: string; ID: { objectType: string; value: string } }

for (const db of ENGINES) {
  describe(`CIM MeterReadSchedules (${db})`, () => {
    let h: Harness;
    let device: string;
    const post = (body: object, role = 'Project Manager') => h.call(role, { method: 'POST', url: '/api/v1/cim', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    const create = (schedules: object[]) => ({ RequestMessage: { Header: { Verb: 'create', Noun: 'MeterReadSchedules', MessageID: 'mrs-1' }, Payload: { MeterReadSchedules: { MeterReadSchedule: schedules } } } });
    const get = (request: object) => ({ RequestMessage: { Header: { Verb: 'get', Noun: 'MeterReadSchedules' }, Request: request } });

    before(async () => {
      h = await startHarness(db);
      device = String((await createDevice(h.t.db, h.projectId, { serialNumber: 'S-1', type: 'CE308' })).id);
    });
    after(() => h.close());

    it('creates an enabled scheduled task from a schedule: reading types → archives, devices, recurrence → cron', async () => {
      const r = await post(create([{ Names: { name: 'MDM 15-min' }, ReadingType: [{ ref: A_PLUS_15 }, { ref: A_PLUS_DAY }], EndDevice: [{ mRID: device }], TimeSchedule: { recurrencePeriod: 900 } }]));
      assert.equal(r.statusCode, 200, r.body);
      const m = r.json().ResponseMessage;
      assert.equal(m.Reply.Result, 'OK');
      const id = m.Reply.ID[0].value as string;
      const task = (await h.call('Project Manager', { method: 'GET', url: `/api/v1/projects/${h.projectId}/tasks/${id}` })).json();
      assert.deepEqual([task.name, task.deviceIds, task.content.measurements.map((x: { archive: string }) => x.archive).sort(), task.schedule.cron, task.schedule.enabled, task.initiator],
        ['MDM 15-min', [device], ['end-of-day', 'profile-15'], '*/15 * * * *', true, 'iec']);
      const schedule = m.Payload.MeterReadSchedules.MeterReadSchedule[0];
      assert.deepEqual([schedule.mRID, schedule.EndDevice, schedule.TimeSchedule, schedule.status.value], [id, [{ mRID: device }], { recurrencePattern: '*/15 * * * *' }, 'enabled']);
      assert.ok(schedule.ReadingType.some((t: { ref: string }) => t.ref === A_PLUS_15) && schedule.ReadingType.some((t: { ref: string }) => t.ref === A_PLUS_DAY), 'the reading types of its archives');
      // get: by mRID, and all the CIM-created schedules when none is named
      const one = (await post(get({ GetMeterReadSchedules: { MeterReadSchedule: [{ mRID: id }] } }), 'Operator')).json().ResponseMessage;
      assert.deepEqual([one.Reply.Result, one.Payload.MeterReadSchedules.MeterReadSchedule[0].Names], ['OK', [{ name: 'MDM 15-min' }]]);
      const all = (await post(get({}))).json().ResponseMessage;
      assert.ok(all.Payload.MeterReadSchedules.MeterReadSchedule.some((s: { mRID: string }) => s.mRID === id));
    });

    it('recurrencePattern in words or cron; bad items one Error each naming the element, the good ones still created (PARTIAL)', async () => {
      const r = await post(create([
        { Names: { name: 'daily' }, ReadingType: { ref: A_PLUS_DAY }, EndDevice: [{ Names: { name: 'S-1' } }, { Names: { name: 'nope' } }], TimeSchedule: { recurrencePattern: 'every day at 01:30' } },
        { Names: { name: 'bad type' }, ReadingType: { ref: '9.9.9.9.9.9.9.9.9.9.9.9.9.9.9.9.9.9' }, EndDevice: { mRID: device }, TimeSchedule: { recurrencePeriod: 900 } },
        { Names: { name: 'bad period' }, ReadingType: { ref: A_PLUS_15 }, EndDevice: { mRID: device }, TimeSchedule: { recurrencePeriod: 700 } },
        { Names: { name: 'bad cron' }, ReadingType: { ref: A_PLUS_15 }, EndDevice: { mRID: device }, TimeSchedule: { recurrencePattern: '61 * * * *' } },
        { Names: { name: 'no time' }, ReadingType: { ref: A_PLUS_15 }, EndDevice: { mRID: device } },
      ]));
      assert.equal(r.statusCode, 200, r.body);
      const m = r.json().ResponseMessage;
      assert.equal(m.Reply.Result, 'PARTIAL');
      const at = '/RequestMessage/Payload/MeterReadSchedules/MeterReadSchedule';
      assert.deepEqual(m.Reply.Error.map((e: Err) => [e.code, e.xpath, e.ID.value]), [
        ['2.4', `${at}[1]/EndDevice[2]`, 'nope'],
        ['2.3', `${at}[2]/ReadingType[1]`, '9.9.9.9.9.9.9.9.9.9.9.9.9.9.9.9.9.9'],
        ['2.3', `${at}[3]/TimeSchedule/recurrencePeriod`, 'bad period'],
        ['2.3', `${at}[4]/TimeSchedule/recurrencePattern`, 'bad cron'],
        ['2.1', `${at}[5]/TimeSchedule`, 'no time'],
      ]);
      assert.deepEqual(m.Payload.MeterReadSchedules.MeterReadSchedule.map((s: { Names: { name: string }[]; TimeSchedule: object }) => [s.Names[0]!.name, s.TimeSchedule]), [['daily', { recurrencePattern: '30 1 * * *' }]]);
      // nothing valid: FAILED 400; only unknown meters: FAILED 404; no schedule at all: 400 naming the element
      const failed = await post(create([{ ReadingType: { ref: 'x' }, EndDevice: { mRID: device }, TimeSchedule: { recurrencePeriod: 900 } }]));
      assert.deepEqual([failed.statusCode, failed.json().ResponseMessage.Reply.Result], [400, 'FAILED']);
      const unknown = await post(create([{ ReadingType: { ref: A_PLUS_15 }, EndDevice: { mRID: 'nope' }, TimeSchedule: { recurrencePeriod: 900 } }]));
      assert.deepEqual([unknown.statusCode, unknown.json().ResponseMessage.Reply.Error[0].xpath], [404, `${at}[1]/EndDevice[1]`]);
      const empty = await post(create([]));
      assert.deepEqual([empty.statusCode, empty.json().ResponseMessage.Reply.Error[0].xpath], [400, `${at}`]);
      const missing = await post(get({ MeterReadSchedule: [{ mRID: 'nope' }] }));
      assert.deepEqual([missing.statusCode, missing.json().ResponseMessage.Reply.Error[0].xpath], [404, '/RequestMessage/Request/MeterReadSchedule[1]']);
    });

    it('XML, noun-specific wrapper (CreateMeterReadSchedules): ReadingType by attribute, recurrencePeriod as text', async () => {
      const body = `<?xml version="1.0"?><CreateMeterReadSchedules xmlns="http://iec.ch/TC57/2017/CreateMeterReadSchedules" xmlns:m="http://iec.ch/TC57/2017/MeterReadSchedules#">
        <Header><Verb>create</Verb><Noun>MeterReadSchedules</Noun><MessageID>x-1</MessageID></Header>
        <Payload><m:MeterReadSchedules><m:MeterReadSchedule><m:Names><m:name>xml hourly</m:name></m:Names>
          <m:ReadingType ref="${A_PLUS_15}"/><m:EndDevice><m:mRID>${device}</m:mRID></m:EndDevice>
          <m:TimeSchedule><m:recurrencePeriod>3600</m:recurrencePeriod></m:TimeSchedule></m:MeterReadSchedule></m:MeterReadSchedules></Payload>
        </CreateMeterReadSchedules>`;
      const r = await h.call('Project Manager', { method: 'POST', url: '/api/v1/cim', headers: { 'content-type': 'application/xml' }, payload: body });
      assert.equal(r.statusCode, 200, r.body);
      assert.match(r.body, /<MeterReadSchedulesResponseMessage xmlns="http:\/\/iec\.ch\/TC57\/2017\/MeterReadSchedulesMessage">/);
      assert.match(r.body, /<Result>OK<\/Result>/);
      assert.match(r.body, /<recurrencePattern>0 \* \* \* \*<\/recurrencePattern>/);
      assert.match(r.body, /<name>xml hourly<\/name>/);
    });

    it('permissions: create needs Write.DataCollection.Job, get Read.DataCollection.Job', async () => {
      const body = create([{ ReadingType: { ref: A_PLUS_15 }, EndDevice: { mRID: device }, TimeSchedule: { recurrencePeriod: 3600 } }]);
      for (const [role, status] of [['Administrator', 200], ['Project Manager', 200], ['Operator', 403], ['User', 403], ['M2M', 403], ['Subscriber', 403]] as const) {
        assert.equal((await post(body, role)).statusCode, status, `create as ${role}`);
      }
      for (const [role, status] of [['Project Manager', 200], ['Operator', 200], ['User', 403], ['M2M', 403]] as const) assert.equal((await post(get({}), role)).statusCode, status, `get as ${role}`);
    });

    it('recurrencePeriod → cron', () => {
      assert.deepEqual([60, 900, 1800, 3600, 7200, 21_600, 86_400].map(cronOfPeriod), ['*/1 * * * *', '*/15 * * * *', '*/30 * * * *', '0 * * * *', '0 */2 * * *', '0 */6 * * *', '0 0 * * *']);
      assert.deepEqual([0, 59, 700, 4000, 5 * 3600, 172_800, 1.5].map(cronOfPeriod), Array(7).fill(undefined));
    });
  });
}
