/**
 * A scripted MDM (an HTTP server started by the test) talking to POST /api/v1/cim: an asynchronous
 * `get MeterReadings` is acknowledged at once and its reply, with the readings, is POSTed to the
 * ReplyAddress by the notifier — retried after the MDM's first failure — and a stored event reaches the MDM
 * subscribed through a notification rule of channel `cim` as a signed `created EndDeviceEvents` message.
 * An asynchronous `create EndDeviceControls` gets its created reply, then `changed EndDeviceControls` with
 * the outcome per device once the relay command's launch finishes or its approval is rejected; an on-demand
 * read is answered once its read task's launch finishes; `get EndDevices` answers what the registry holds.
 * Real chDB and the registry on both engines. The one stand-in: no meter answers here, so the launch is
 * finished by writing its rows as the scheduler does (scheduler/scheduler.ts) — its own tests cover that part.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testWarehouse } from '../../sinks/clickhouse/testing.js';
import { ENGINES } from '../../registry/testing.js';
import { createDevice } from '../../registry/project-data.js';
import { Notifier } from '../../notify/notifier.js';
import { signature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../notify/channels.js';
import { startHttpReceiver, type HttpReceiver } from '../../notify/testing.js';
import type { EventRow } from '../../decoders/protocol-decoder.js';
import { reportCimFollowUps } from '../cim/follow-ups.js';
import { startHarness, type Harness } from './harness.js';

const engine = testWarehouse('cim-async');
const A_PLUS_15 = '0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0';
const t = (s: string) => Date.parse(s) / 1000;

for (const db of ENGINES) {
  describe(`CIM asynchronous replies and EndDeviceEvents (${db})`, () => {
    let h: Harness;
    let mdm: HttpReceiver;
    let notifier: Notifier;
    let device: { id: string; num: number };
    const post = (body: object, role = 'M2M') => h.call(role, { method: 'POST', url: '/api/v1/cim', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    const request = (header: object) => ({
      RequestMessage: {
        Header: { Verb: 'get', Noun: 'MeterReadings', MessageID: 'async-1', AsyncReplyFlag: true, ...header },
        Request: { GetMeterReadings: { EndDevice: { mRID: device.id }, ReadingType: { ref: A_PLUS_15 }, TimeSchedule: { scheduleInterval: { start: '2026-03-01T00:00:00Z', end: '2026-03-02T00:00:00Z' } } } },
      },
    });

    before(async () => {
      await engine.exec('TRUNCATE TABLE readings');
      h = await startHarness(db, { clickhouse: engine });
      mdm = await startHttpReceiver();
      notifier = new Notifier({ db: h.t.db, box: h.box, maxAttempts: 3, retryBaseMs: 1, beforeRound: () => reportCimFollowUps({ db: h.t.db, box: h.box, warehouse: engine }) });
      const d = await createDevice(h.t.db, h.projectId, { serialNumber: 'A-1', type: 'CE308' });
      const num = Number((await h.t.db.query<{ num: number }>('SELECT num::float8 AS num FROM devices WHERE id = $1', [d.id])).rows[0]!.num);
      device = { id: String(d.id), num };
      const row = { device_id: num, archive: 'profile-15', obis: '1.0.1.29.0.255', reading_type: '', tariff: 0, ts: t('2026-03-01T00:15:00Z'), raw: 250, scaler: 0, unit: 'Wh', quality: 3, device_status: 0, device_tz: 0, source: 'POLL', collected_at: t('2026-03-01T00:16:00Z'), retention_days: 0 };
      await engine.exec(`INSERT INTO readings SETTINGS insert_deduplicate = 0 FORMAT JSONEachRow\n${JSON.stringify(row)}`);
    });
    after(async () => {
      await notifier.close();
      await mdm.close();
      await h.close();
    });

    it('acknowledges an async get MeterReadings at once and POSTs the reply to ReplyAddress, retried after the MDM fails once', async () => {
      const ack = await post(request({ ReplyAddress: `${mdm.url}/reply?key=k` }));
      assert.equal(ack.statusCode, 202, ack.body);
      const ackReply = ack.json().ResponseMessage;
      assert.equal(ackReply.Reply.Result, 'OK');
      assert.equal(ackReply.Payload, undefined, 'the readings go to ReplyAddress, not in the acknowledgement');
      assert.equal(ackReply.Reply.ID[0].objectType, 'AsyncReply');
      const stored = await h.t.db.query<{ payload: unknown; recipient: string }>(`SELECT payload, recipient FROM notification_deliveries WHERE channel = 'cim-reply'`);
      assert.equal(stored.rows[0]!.recipient, `${mdm.url}/reply`, 'recorded without the query');
      assert.ok(!JSON.stringify(stored.rows[0]!.payload).includes('key=k'), 'the ReplyAddress is encrypted at rest');
      mdm.answers.push(503);
      notifier.kick();
      await notifier.idle();
      // The first attempt failed; the retry is due 1 ms later.
      await new Promise((r) => setTimeout(r, 5));
      notifier.kick();
      await notifier.idle();
      const replies = mdm.requests.filter((r) => r.url === '/reply?key=k');
      assert.equal(replies.length, 2, 'one failed attempt, one retry');
      const msg = JSON.parse(replies[1]!.body).ResponseMessage;
      assert.deepEqual([msg.Header.Verb, msg.Header.Noun, msg.Header.CorrelationID, msg.Reply.Result], ['reply', 'MeterReadings', 'async-1', 'OK']);
      const block = msg.Payload.MeterReadings.MeterReading[0].IntervalBlocks[0];
      assert.deepEqual([block.ReadingType.ref, block.IntervalReadings[0].value], [A_PLUS_15, 0.25]);
      const status = await h.t.db.query<{ status: string; attempts: number }>(`SELECT status, attempts FROM notification_deliveries WHERE channel = 'cim-reply'`);
      assert.deepEqual(status.rows.map((r) => [r.status, r.attempts]), [['sent', 2]]);
    });

    it('AsyncReplyFlag without a usable ReplyAddress is FAILED 400 naming it; the permission is still needed', async () => {
      for (const header of [{}, { ReplyAddress: 'ftp://mdm/x' }, { ReplyAddress: 'not a url' }]) {
        const r = await post(request(header));
        assert.equal(r.statusCode, 400, r.body);
        assert.equal(r.json().ResponseMessage.Reply.Error[0].xpath, '/RequestMessage/Header/ReplyAddress');
      }
      const denied = await post(request({ ReplyAddress: `${mdm.url}/reply` }), 'User');
      assert.equal(denied.statusCode, 403, denied.body);
      const queued = await h.t.db.query(`SELECT 1 FROM notification_deliveries WHERE channel = 'cim-reply'`);
      assert.equal(queued.rows.length, 1, 'nothing queued for refused requests');
    });

    it('async create EndDeviceControls: the created reply at once, then changed EndDeviceControls per device when the launch finishes or the approval is rejected', async () => {
      const control = (code: string, id: string) => ({
        RequestMessage: {
          Header: { Verb: 'create', Noun: 'EndDeviceControls', MessageID: id, AsyncReplyFlag: 'true', ReplyAddress: `${mdm.url}/controls` },
          Payload: { EndDeviceControls: { EndDeviceControl: [{ mRID: `order-${id}`, EndDeviceControlType: { ref: code }, EndDevices: [{ mRID: device.id }] }] } },
        },
      });
      const ack = await post(control('3.31.0.18', 'c-1'));
      assert.equal(ack.statusCode, 202, ack.body);
      notifier.kick();
      await notifier.idle();
      const got = () => mdm.requests.filter((r) => r.url === '/controls').map((r) => JSON.parse(r.body) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
      const created = got()[0]!.ResponseMessage;
      assert.deepEqual([created.Header.CorrelationID, created.Reply.Result], ['c-1', 'OK']);
      const taskId = created.Payload.EndDeviceControls.EndDeviceControl[0].mRID;
      assert.equal(got().length, 1, 'no outcome while the launch runs');
      // The launch ends as the scheduler ends it when the meter does not answer.
      const launch = await h.t.db.query<{ id: string }>(`SELECT id FROM task_launches WHERE task_id = $1`, [taskId]);
      await h.t.db.query(`INSERT INTO launch_devices (launch_id, device_id, result, note, finished_at) VALUES ($1, $2, 'error', 'no answer', now())`, [launch.rows[0]!.id, device.id]);
      await h.t.db.query(`UPDATE task_launches SET state = 'finished', result = 'error', finished_at = now() WHERE id = $1`, [launch.rows[0]!.id]);
      notifier.kick();
      await notifier.idle();
      const changed = got()[1]!.EventMessage;
      assert.deepEqual([changed.Header.Verb, changed.Header.Noun, changed.Header.CorrelationID], ['changed', 'EndDeviceControls', 'c-1']);
      const outcome = changed.Payload.EndDeviceControls.EndDeviceControl[0];
      assert.deepEqual([outcome.mRID, outcome.issuerTrackingID, outcome.EndDeviceControlType.ref, outcome.EndDevices[0].mRID, outcome.status.value, outcome.status.reason],
        [taskId, 'order-c-1', '3.31.0.18', device.id, 'failed', 'no answer']);
      notifier.kick();
      await notifier.idle();
      assert.equal(got().length, 2, 'the outcome is sent once');

      // A disconnect awaiting a second user's approval, rejected.
      const s = await h.call('Administrator', { method: 'PUT', url: `/api/v1/projects/${h.projectId}/control-settings`, payload: { relayDisconnectApproval: true } });
      assert.equal(s.statusCode, 200, s.body);
      assert.equal((await post(control('3.31.0.23', 'c-2'))).statusCode, 202);
      notifier.kick();
      await notifier.idle();
      const second = got()[2]!.ResponseMessage.Payload.EndDeviceControls.EndDeviceControl[0];
      assert.match(second.reason, /approval/);
      const rejected = await h.call('Administrator', { method: 'POST', url: `/api/v1/projects/${h.projectId}/tasks/${second.mRID}/reject` });
      assert.equal(rejected.statusCode, 200, rejected.body);
      notifier.kick();
      await notifier.idle();
      const refused = got()[3]!.EventMessage.Payload.EndDeviceControls.EndDeviceControl[0];
      assert.deepEqual([refused.mRID, refused.status.value, refused.EndDevices[0].mRID], [second.mRID, 'rejected', device.id]);
    });

    it('on demand (Request.Option ReadMeter): a one-off read of the asked archives, then the reply from stored data once its launch finishes', async () => {
      const sync = request({ AsyncReplyFlag: false, ReplyAddress: undefined }) as { RequestMessage: { Request: Record<string, unknown> } };
      sync.RequestMessage.Request.Option = { name: 'ReadMeter', value: 'true' };
      const refused = await post(sync);
      assert.equal(refused.statusCode, 400, refused.body);
      assert.equal(refused.json().ResponseMessage.Reply.Error[0].xpath, '/RequestMessage/Request/Option');
      const body = request({ MessageID: 'od-1', ReplyAddress: `${mdm.url}/on-demand` }) as { RequestMessage: { Request: Record<string, unknown> } };
      body.RequestMessage.Request.Option = [{ name: 'ReadMeter', value: 'true' }];
      const ack = await post(body);
      assert.equal(ack.statusCode, 202, ack.body);
      const id = ack.json().ResponseMessage.Reply.ID[0];
      assert.equal(id.objectType, 'ReadTask');
      const task = (await h.call('Administrator', { method: 'GET', url: `/api/v1/projects/${h.projectId}/tasks/${id.value}` })).json();
      assert.deepEqual([task.content, task.initiator, task.deviceIds], [{ measurements: [{ archive: 'profile-15' }] }, 'iec', [device.id]]);
      notifier.kick();
      await notifier.idle();
      assert.equal(mdm.requests.filter((r) => r.url === '/on-demand').length, 0, 'nothing before the read is done');
      // The read stores a new value and its launch ends, as the pipeline and the scheduler do.
      const row = { device_id: device.num, archive: 'profile-15', obis: '1.0.1.29.0.255', reading_type: '', tariff: 0, ts: t('2026-03-01T00:30:00Z'), raw: 300, scaler: 0, unit: 'Wh', quality: 3, device_status: 0, device_tz: 0, source: 'POLL', collected_at: t('2026-03-01T00:31:00Z'), retention_days: 0 };
      await engine.exec(`INSERT INTO readings SETTINGS insert_deduplicate = 0 FORMAT JSONEachRow\n${JSON.stringify(row)}`);
      const launch = await h.t.db.query<{ id: string }>(`SELECT id FROM task_launches WHERE task_id = $1`, [id.value]);
      await h.t.db.query(`INSERT INTO launch_devices (launch_id, device_id, result, finished_at) VALUES ($1, $2, 'success', now())`, [launch.rows[0]!.id, device.id]);
      await h.t.db.query(`UPDATE task_launches SET state = 'finished', result = 'success', finished_at = now() WHERE id = $1`, [launch.rows[0]!.id]);
      notifier.kick();
      await notifier.idle();
      const got = mdm.requests.filter((r) => r.url === '/on-demand');
      assert.equal(got.length, 1);
      const msg = JSON.parse(got[0]!.body).ResponseMessage;
      assert.deepEqual([msg.Header.CorrelationID, msg.Reply.Result], ['od-1', 'OK']);
      const block = msg.Payload.MeterReadings.MeterReading[0].IntervalBlocks[0];
      assert.deepEqual(block.IntervalReadings.map((r: { value: number }) => r.value), [0.25, 0.3]);
    });

    it('get EndDevices: what the registry holds, by mRID or serial; unknown ones one Error each; the read permission', async () => {
      const body = { RequestMessage: { Header: { Verb: 'get', Noun: 'EndDevices', MessageID: 'ed-1' }, Request: { GetEndDevices: { EndDevice: [{ mRID: device.id }, { Names: { name: 'A-1' } }, { Names: { name: 'nope' } }] } } } };
      const r = await post(body);
      assert.equal(r.statusCode, 200, r.body);
      const m = r.json().ResponseMessage;
      assert.deepEqual([m.Reply.Result, m.Reply.Error.map((e: { ID: { value: string }; xpath: string }) => [e.ID.value, e.xpath])], ['PARTIAL', [['nope', '/RequestMessage/Request/GetEndDevices/EndDevice[3]']]]);
      assert.deepEqual(m.Payload.EndDevices.EndDevice, [{
        mRID: device.id, Names: [{ name: 'A-1', NameType: { name: 'SerialNumber' } }, { name: 'Main', NameType: { name: 'Project' } }], serialNumber: 'A-1', type: 'CE308', status: { value: 'IN_USE' },
      }]);
      const none = await post({ RequestMessage: { ...body.RequestMessage, Request: { EndDevice: { mRID: 'nope' } } } });
      assert.deepEqual([none.statusCode, none.json().ResponseMessage.Reply.Result], [404, 'FAILED']);
      const empty = await post({ RequestMessage: { ...body.RequestMessage, Request: {} } });
      assert.deepEqual([empty.statusCode, empty.json().ResponseMessage.Reply.Error[0].xpath], [400, '/RequestMessage/Request/EndDevice']);
      for (const [role, status] of [['Operator', 200], ['User', 403]] as const) assert.equal((await post(body, role)).statusCode, status, role);
    });

    it('publishes a stored event to the subscribed MDM as a signed created EndDeviceEvents message; rules by role', async () => {
      const base = `/api/v1/projects/${h.projectId}/notification-rules`;
      const rule = { name: 'mdm', channel: 'cim', severities: ['critical'], url: `${mdm.url}/events`, secret: 'mdm-secret' };
      for (const role of ['Operator', 'User', 'M2M']) assert.equal((await h.call(role, { method: 'POST', url: base, payload: rule })).statusCode, 403, role);
      const noSecret = await h.call('Project Manager', { method: 'POST', url: base, payload: { ...rule, secret: undefined } });
      assert.deepEqual([noSecret.statusCode, noSecret.json().error.field], [400, 'body.secret']);
      const created = await h.call('Project Manager', { method: 'POST', url: base, payload: rule });
      assert.equal(created.statusCode, 201, created.body);
      const at = t('2026-03-01T10:00:00Z');
      const event: EventRow = {
        device_id: device.num, journal: 'power-on-off', ts: at, code: 1, name: 'power off', params: '{}', raw: '', device_tz: 0, source: 'PUSH', collected_at: at, retention_days: 0, severity: 'critical',
      };
      notifier.enqueue([event]);
      await notifier.idle();
      const got = mdm.requests.filter((r) => r.url === '/events');
      assert.equal(got.length, 1);
      const ts = Number(got[0]!.headers[TIMESTAMP_HEADER]);
      assert.equal(got[0]!.headers[SIGNATURE_HEADER], `sha256=${signature('mdm-secret', ts, got[0]!.body)}`);
      const msg = JSON.parse(got[0]!.body).EventMessage;
      assert.deepEqual([msg.Header.Verb, msg.Header.Noun], ['created', 'EndDeviceEvents']);
      const e = msg.Payload.EndDeviceEvents.EndDeviceEvent[0];
      assert.deepEqual([e.EndDeviceEventType.ref, e.createdDateTime, e.reason, e.Assets.mRID, e.Assets.Names.name], ['3.26.38.85', '2026-03-01T10:00:00.000Z', 'power off', device.id, 'A-1']);
      assert.deepEqual(e.EndDeviceEventDetails, [{ name: 'code', value: '1' }, { name: 'journal', value: 'power-on-off' }, { name: 'severity', value: 'critical' }]);
    });
  });
}
