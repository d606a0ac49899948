/**
 * `get MeterReadings` over POST /api/v1/cim against a real chDB and the registry on both engines: readings
 * inserted as the pipeline stores them come back by meter (mRID or serial number), CIM reading type and
 * time range, in JSON and XML, scaled to the reading type's unit, with ReadingQualityType codes; unknown
 * meters and reading types get one Error each (PARTIAL); a meter of a project the caller is not in is
 * unknown; bad ranges name the element.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { testWarehouse } from '../../sinks/clickhouse/testing.js';
import { ENGINES } from '../../registry/testing.js';
import { createDevice, createProject } from '../../registry/project-data.js';
import { startHarness, type Harness } from './harness.js';

const engine = testWarehouse('cim-readings');
const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', removeNSPrefix: true, parseTagValue: false, isArray: (name) => ['MeterReading', 'Readings', 'IntervalBlocks', 'IntervalReadings', 'ReadingQualities', 'Error'].includes(name) });
type Node = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const A_PLUS_15 = '0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0';
const DAILY_A_PLUS_T1 = '11.0.0.1.1.1.12.0.0.0.0.1.0.0.0.3.72.0';
const VOLTAGE_L1 = '0.0.0.12.0.1.54.0.0.0.0.0.0.0.129.0.29.0';
const t = (s: string) => Date.parse(s) / 1000;

const row = (device: number, archive: string, obis: string, tariff: number, ts: string, raw: number, scaler: number, unit: string, quality = 3) => ({
  device_id: device, archive, obis, reading_type: '', tariff, ts: t(ts), raw, scaler, unit, quality, device_status: 0, device_tz: 180, source: 'POLL',
  collected_at: t(ts) + 60, retention_days: 0,
});

const json = (request: object, header: object = {}) => JSON.stringify({ RequestMessage: { Header: { Verb: 'get', Noun: 'MeterReadings', MessageID: 'q-1', ...header }, Request: request } });

for (const db of ENGINES) {
  describe(`get MeterReadings (${db})`, () => {
    let h: Harness;
    let device: { id: string; num: number };
    let foreign: string;
    const post = (body: string, type = 'application/json', role = 'M2M') => h.call(role, { method: 'POST', url: '/api/v1/cim', headers: { 'content-type': type }, payload: body });

    before(async () => {
      await engine.exec('TRUNCATE TABLE readings');
      h = await startHarness(db, { clickhouse: engine });
      const num = async (id: unknown) => Number((await h.t.db.query<{ num: number }>('SELECT num::float8 AS num FROM devices WHERE id = $1', [id])).rows[0]!.num);
      const d = await createDevice(h.t.db, h.projectId, { serialNumber: '0123456789', type: 'CE308' });
      device = { id: String(d.id), num: await num(d.id) };
      const other = await createProject(h.t.db, { name: 'Other' }, null);
      const f = await createDevice(h.t.db, String(other.id), { serialNumber: '9999', type: 'CE308' });
      foreign = String(f.id);
      const rows = [
        row(device.num, 'profile-15', '1.0.1.29.0.255', 0, '2026-03-01T00:15:00Z', 250, 0, 'Wh'),
        row(device.num, 'profile-15', '1.0.1.29.0.255', 0, '2026-03-01T00:30:00Z', 31, 1, 'Wh', 3 | 4), // estimated
        row(device.num, 'profile-15', '1.0.1.29.0.255', 0, '2026-03-01T00:45:00Z', 270, 0, 'Wh', 1), // clock not normal
        row(device.num, 'profile-15', '1.0.1.29.0.255', 0, '2026-03-02T00:15:00Z', 999, 0, 'Wh'), // outside the range
        row(device.num, 'end-of-day', '1.0.1.8.1.255', 1, '2026-03-01T00:00:00Z', 3_705_780, 0, 'Wh', 3 | 8), // edited
        row(device.num, 'end-of-day', '1.0.1.8.0.255', 0, '2026-03-01T00:00:00Z', 5_000_000, 0, 'Wh'),
        row(device.num, 'network', '1.0.32.7.0.255', 0, '2026-03-01T00:10:00Z', 2301, -1, 'V'),
        row(device.num, 'network', '0.0.96.1.0.255', 0, '2026-03-01T00:10:00Z', 1, 0, ''), // no reading type: never published
        row(await num(f.id), 'profile-15', '1.0.1.29.0.255', 0, '2026-03-01T00:15:00Z', 1, 0, 'Wh'),
      ];
      await engine.exec(`INSERT INTO readings SETTINGS insert_deduplicate = 0 FORMAT JSONEachRow\n${rows.map((r) => JSON.stringify(r)).join('\n')}`);
    });
    after(async () => {
      await h.close();
    });

    const range = { TimeSchedule: { scheduleInterval: { start: '2026-03-01T00:00:00Z', end: '2026-03-02T00:00:00Z' } } };

    it('JSON: interval data by mRID and reading type, scaled to kWh, oldest first, with quality codes', async () => {
      const r = await post(json({ GetMeterReadings: { EndDevice: [{ mRID: device.id }], ReadingType: [{ ref: A_PLUS_15 }], ...range } }));
      assert.equal(r.statusCode, 200, r.body);
      const m = r.json().ResponseMessage;
      assert.equal(m.Header.Verb, 'reply');
      assert.equal(m.Header.CorrelationID, 'q-1');
      assert.deepEqual(m.Reply, { Result: 'OK' });
      const [reading] = m.Payload.MeterReadings.MeterReading;
      assert.deepEqual(reading.Meter, { mRID: device.id, Names: [{ name: '0123456789' }] });
      assert.equal(reading.Readings, undefined);
      assert.deepEqual(reading.IntervalBlocks, [{
        ReadingType: { ref: A_PLUS_15 },
        IntervalReadings: [
          { timeStamp: '2026-03-01T00:15:00.000Z', value: 0.25, ReadingQualities: [{ ReadingQualityType: { ref: '1.0.0' } }] },
          { timeStamp: '2026-03-01T00:30:00.000Z', value: 0.31, ReadingQualities: [{ ReadingQualityType: { ref: '2.8.0' } }] },
          { timeStamp: '2026-03-01T00:45:00.000Z', value: 0.27, ReadingQualities: [{ ReadingQualityType: { ref: '1.4.0' } }] },
        ],
      }]);
    });

    it('XML: by serial number, every catalogued reading type when none is named; registers as Readings', async () => {
      const body = `<?xml version="1.0"?><msg:RequestMessage xmlns:msg="http://iec.ch/TC57/2011/schema/message">
        <msg:Header><msg:Verb>get</msg:Verb><msg:Noun>MeterReadings</msg:Noun><msg:MessageID>x-7</msg:MessageID></msg:Header>
        <msg:Request><m:GetMeterReadings xmlns:m="http://iec.ch/TC57/2011/GetMeterReadings#">
          <m:EndDevice><m:Names><m:name>0123456789</m:name></m:Names></m:EndDevice>
          <m:TimeSchedule><m:scheduleInterval><m:start>2026-03-01T00:00:00Z</m:start><m:end>2026-03-02T00:00:00Z</m:end></m:scheduleInterval></m:TimeSchedule>
        </m:GetMeterReadings></msg:Request></msg:RequestMessage>`;
      const r = await post(body, 'application/xml');
      assert.equal(r.statusCode, 200, r.body);
      assert.match(String(r.headers['content-type']), /^application\/xml/);
      assert.match(r.body, /<MeterReadings xmlns="http:\/\/iec\.ch\/TC57\/2011\/MeterReadings#">/);
      const m = (xml.parse(r.body) as Node).ResponseMessage;
      assert.equal(m.Reply.Result, 'OK');
      assert.equal(m.Header.CorrelationID, 'x-7');
      const [reading] = m.Payload.MeterReadings.MeterReading;
      assert.equal(reading.Meter.mRID, device.id);
      const readings = Object.fromEntries(reading.Readings.map((x: Node) => [x.ReadingType.ref, x]));
      assert.deepEqual(Object.keys(readings).sort(), ['0.0.0.12.0.1.54.0.0.0.0.0.0.0.129.0.29.0', '11.0.0.1.1.1.12.0.0.0.0.0.0.0.0.3.72.0', DAILY_A_PLUS_T1].sort());
      assert.equal(readings[DAILY_A_PLUS_T1].value, '3705.78');
      assert.equal(readings[DAILY_A_PLUS_T1].ReadingQualities[0].ReadingQualityType.ref, '2.7.0');
      assert.equal(readings[VOLTAGE_L1].value, '230.1');
      assert.equal(readings[VOLTAGE_L1].timeStamp, '2026-03-01T00:10:00.000Z');
      assert.equal(reading.IntervalBlocks[0].ReadingType.ref, A_PLUS_15);
      assert.equal(reading.IntervalBlocks[0].IntervalReadings.length, 3);
    });

    it('unknown meters, meters of other projects and unknown reading types: one Error each, PARTIAL', async () => {
      const r = await post(json({
        GetMeterReadings: {
          EndDevice: [{ mRID: device.id }, { mRID: foreign }, { Names: [{ name: 'no-such-meter' }] }],
          ReadingType: [{ ref: VOLTAGE_L1 }, { ref: '9.9.9.9.9.9.9.0.0.0.0.0.0.0.0.0.0.0' }], ...range,
        },
      }));
      assert.equal(r.statusCode, 200);
      const m = r.json().ResponseMessage;
      assert.equal(m.Reply.Result, 'PARTIAL');
      assert.deepEqual(m.Reply.Error.map((e: Node) => [e.code, e.ID.objectType, e.ID.value, e.xpath]), [
        ['2.3', 'ReadingType', '9.9.9.9.9.9.9.0.0.0.0.0.0.0.0.0.0.0', '/RequestMessage/Request/GetMeterReadings/ReadingType[2]'],
        ['2.4', 'EndDevice', foreign, '/RequestMessage/Request/GetMeterReadings/EndDevice[2]'],
        ['2.4', 'EndDevice', 'no-such-meter', '/RequestMessage/Request/GetMeterReadings/EndDevice[3]'],
      ]);
      assert.equal(m.Payload.MeterReadings.MeterReading.length, 1);
      assert.equal(m.Payload.MeterReadings.MeterReading[0].Readings[0].value, 230.1);

      const none = await post(json({ GetMeterReadings: { EndDevice: [{ mRID: foreign }], ...range } }));
      assert.equal(none.statusCode, 404);
      assert.equal(none.json().ResponseMessage.Reply.Result, 'FAILED');
      const badType = await post(json({ GetMeterReadings: { EndDevice: [{ mRID: device.id }], ReadingType: [{ ref: 'kWh' }], ...range } }));
      assert.equal(badType.statusCode, 400);
      assert.equal(badType.json().ResponseMessage.Reply.Error[0].ID.value, 'kWh');
    });

    it('time ranges: required, ordered and at most the configured maximum, naming the element', async () => {
      const at = (r: { json(): Node }) => r.json().ResponseMessage.Reply.Error[0].xpath;
      const missing = await post(json({ GetMeterReadings: { EndDevice: [{ mRID: device.id }] } }));
      assert.equal(missing.statusCode, 400);
      assert.equal(at(missing), '/RequestMessage/Request/GetMeterReadings/TimeSchedule/scheduleInterval/start');
      const reversed = await post(json({ GetMeterReadings: { EndDevice: [{ mRID: device.id }], TimeSchedule: { scheduleInterval: { start: '2026-03-02T00:00:00Z', end: '2026-03-01T00:00:00Z' } } } }));
      assert.equal(at(reversed), '/RequestMessage/Request/GetMeterReadings/TimeSchedule/scheduleInterval/end');
      const long = await post(json({ GetMeterReadings: { EndDevice: [{ mRID: device.id }], TimeSchedule: { scheduleInterval: { start: '2025-01-01T00:00:00Z', end: '2026-03-01T00:00:00Z' } } } }));
      assert.equal(long.json().ResponseMessage.Reply.Error[0].code, '2.5');
      const far = await post(json({ GetMeterReadings: { EndDevice: [{ mRID: device.id }], TimeSchedule: { scheduleInterval: { start: '2200-01-01T00:00:00Z', end: '2200-01-02T00:00:00Z' } } } }));
      assert.deepEqual([far.statusCode, far.json().ResponseMessage.Reply.Error[0].code], [400, '2.3']);
      // The 2011 Request's own StartTime/EndTime work too.
      const plain = await post(json({ StartTime: '2026-03-01T00:00:00Z', EndTime: '2026-03-01T00:20:00Z', EndDevice: { mRID: device.id }, ReadingType: { ref: A_PLUS_15 } }));
      assert.equal(plain.statusCode, 200, plain.body);
      assert.equal(plain.json().ResponseMessage.Payload.MeterReadings.MeterReading[0].IntervalBlocks[0].IntervalReadings.length, 1);
    });

    it('a noun-specific GetMeterReadings message gets a MeterReadingsResponseMessage', async () => {
      const r = await post(`<GetMeterReadings xmlns="http://iec.ch/TC57/2017/GetMeterReadingsMessage"><Header><Verb>get</Verb><Noun>MeterReadings</Noun></Header>
        <Request><GetMeterReadings><EndDevice><mRID>${device.id}</mRID></EndDevice><ReadingType><mRID>${A_PLUS_15}</mRID></ReadingType>
        <TimeSchedule><scheduleInterval><start>2026-03-01T00:00:00Z</start><end>2026-03-01T00:20:00Z</end></scheduleInterval></TimeSchedule></GetMeterReadings></Request></GetMeterReadings>`, 'text/xml');
      assert.equal(r.statusCode, 200, r.body);
      assert.match(r.body, /<MeterReadingsResponseMessage xmlns="http:\/\/iec\.ch\/TC57\/2017\/MeterReadingsMessage">/);
      const m = (xml.parse(r.body) as Node).MeterReadingsResponseMessage;
      assert.equal(m.Payload.MeterReadings.MeterReading[0].IntervalBlocks[0].IntervalReadings[0].value, '0.25');
    });
  });
}

describe('get MeterReadings without the data plane', () => {
  it('answers FAILED 503 instead of an error page', async () => {
    const h = await startHarness(ENGINES[0]!);
    try {
      const r = await h.call('M2M', {
        method: 'POST', url: '/api/v1/cim', headers: { 'content-type': 'application/json' },
        payload: json({ EndDevice: { mRID: '0123' }, StartTime: '2026-03-01T00:00:00Z', EndTime: '2026-03-02T00:00:00Z' }),
      });
      assert.equal(r.statusCode, 503);
      assert.equal(r.json().ResponseMessage.Reply.Error[0].code, '3.1');
    } finally {
      await h.close();
    }
  });
});
