/** XLSX import (bad cells change nothing and come back marked), import-with-update, export→import round trips (XLSX and JSON). */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { ENGINES } from '../../registry/testing.js';
import { COLUMNS, importDevices } from '../../registry/device-xlsx.js';
import { createProject } from '../../registry/project-data.js';
import { startHarness, type Harness } from './harness.js';
import { XLSX, readSheet, workbook } from './xlsx.js';

// The rows of seed 003 figure 86 (types written with Latin C here, and one Cyrillic "СЕ" spelling).
const good: (string | number)[][] = [
  ['Ипорт канала связи TCP', 'TCP', '95.153.224.218', 5279, '01-598', 'DLMS', 16, '1234567812345678', 35, 'Группа однофазные', 'CE208', '0000000000001'],
  ['Импорт канала CENC', 'tcp', '10.5.114.138', 50, '01-458', 'dLMs', 15378, '1234567812345678', 35, 'Группа трехфазные', 'СЕ308', '0000000000002'],
  ['Ипорт канала связи TCP', 'TcP', '95.153.224.218', 5279, '01-598', 'DLMS', 16, '1234567812345678', 35, 'Группа однофазные', 'ce207', '0000000000003'],
  ['Импорт канала CENC', 'TCP', '10.5.114.138', 50, '01-458', 'DLMS', 15378, '1234567812345678', 35, 'Группа трехфазные', 'CE307', '0000000000004'],
];

for (const engine of ENGINES) {
  describe(`import/export (${engine})`, () => {
    let h: Harness;
    let base: string;
    const count = async (table: string) => (await h.t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE project_id = $1`, [h.projectId])).rows[0].n;
    const snapshot = async () => Promise.all(['devices', 'channels', 'protocols', 'comm_lines', 'device_groups'].map(count));
    before(async () => {
      h = await startHarness(engine);
      base = `/api/v1/projects/${h.projectId}`;
    });
    after(() => h.close());

    it('serves the template with the 12 columns of table 6', async () => {
      const r = await h.call('User', { method: 'GET', url: `${base}/devices/import-template` });
      assert.equal(r.headers['content-type'], XLSX);
      const ws = await readSheet(r.rawPayload);
      assert.deepEqual((ws.getRow(1).values as string[]).slice(1), COLUMNS.map((c) => c.ru));
    });

    it('rejects a file with bad cells, changes nothing, and returns the workbook marking each bad cell', async () => {
      const before = await snapshot();
      const rows = good.map((r) => [...r]);
      rows[0][1] = 'RS232'; // B2 channel type
      rows[1][2] = '10.5.114.300'; // C3 ip
      rows[2][3] = 70000; // D4 port
      rows[3][10] = 'CE999'; // K5 device type
      rows[3][6] = 15379; // G5: protocol 01-458 described differently than in row 3
      const file = await workbook([...rows, ['ok', 'TCP', '1.1.1.1', 1, 'p', 'DLMS', 1, 'pw', 5, 'g', 'CE207', '0000000000002'], [...rows[1]]]);
      const r = await h.call('Operator', { method: 'POST', url: `${base}/devices/import`, headers: { 'content-type': XLSX, accept: XLSX }, payload: file });
      assert.equal(r.statusCode, 422);
      assert.deepEqual(await snapshot(), before, 'nothing imported');
      const ws = await readSheet(r.rawPayload);
      const marked: string[] = [];
      ws.eachRow((row) => row.eachCell((cell) => {
        if (cell.note) marked.push(cell.address);
      }));
      // C5 repeats channel "Импорт канала CENC" with another address than row 3; row 7 repeats row 3 (bad IP, same device).
      assert.deepEqual(marked.sort(), ['B2', 'C3', 'C5', 'C7', 'D4', 'G5', 'K5', 'L7']);
      assert.match(String(ws.getCell('C3').note), /IPv4/);
      assert.match(String(ws.getCell('L7').note), /row 3/);
      assert.equal((ws.getCell('B2').fill as ExcelJS.FillPattern).fgColor?.argb, 'FFFF9999');
      assert.equal(ws.getCell(1, 13).value, 'Ошибка');
      assert.match(String(ws.getCell(2, 13).value), /канал связи тип: must be TCP/);
      // Without Accept: xlsx the same answer comes as JSON with every error.
      const json = await h.call('Operator', { method: 'POST', url: `${base}/devices/import`, headers: { 'content-type': XLSX }, payload: file });
      assert.equal(json.statusCode, 422, json.body);
      assert.ok(json.json().errors.length >= 8);
      assert.deepEqual(Object.keys(json.json().errors[0]).sort(), ['column', 'message', 'row']);
      const missing = await workbook([]);
      const ws2 = await readSheet(missing);
      ws2.getCell('L1').value = 'something else';
      const noHeader = await h.call('Operator', { method: 'POST', url: `${base}/devices/import`, headers: { 'content-type': XLSX }, payload: Buffer.from(await ws2.workbook.xlsx.writeBuffer()) });
      assert.match(noHeader.json().errors[0].message, /missing column "серийный номер устройства"/);
      const junk = await h.call('Operator', { method: 'POST', url: `${base}/devices/import`, headers: { 'content-type': XLSX }, payload: Buffer.from('not a zip') });
      assert.deepEqual([junk.statusCode, junk.json().error.code], [400, 'UNREADABLE_FILE']);
    });

    it('imports a good file, refuses it a second time without update, and updates with update', async () => {
      const r = await h.call('Operator', { method: 'POST', url: `${base}/devices/import`, headers: { 'content-type': XLSX }, payload: await workbook(good) });
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json().created, { devices: 4, channels: 2, protocols: 2, groups: 2, commLines: 4 });
      const devs = (await h.call('Operator', { method: 'GET', url: `${base}/devices?source=IMPORTED` })).json();
      assert.deepEqual(devs.items.map((d: { type: string }) => d.type), ['CE208', 'CE308', 'CE207', 'CE307']);
      const again = await h.call('Operator', { method: 'POST', url: `${base}/devices/import`, headers: { 'content-type': XLSX }, payload: await workbook(good) });
      assert.equal(again.statusCode, 422);
      assert.equal(again.json().errors.length, 4);
      const changed = good.map((r) => [...r]);
      for (const r of changed) if (r[0] === 'Импорт канала CENC') r[3] = 5001;
      changed[0][9] = 'Новая группа';
      const upd = await h.call('Operator', { method: 'POST', url: `${base}/devices/import?update=true`, headers: { 'content-type': XLSX }, payload: await workbook(changed) });
      assert.equal(upd.statusCode, 200, upd.body);
      // Truthful counts: one device changed group; the others' lines still name the same channel and protocol.
      assert.deepEqual([upd.json().updated, upd.json().unchanged], [{ devices: 1, channels: 1, protocols: 0 }, { devices: 3, channels: 1, protocols: 2 }]);
      assert.equal(upd.json().created.groups, 1);
      const ch = (await h.call('Operator', { method: 'GET', url: `${base}/channels?name=импорт` })).json();
      assert.equal(ch.items[0].settings.port, 5001);
    });

    it('round-trips: XLSX export → import with update changes nothing; into an empty project recreates it', async () => {
      const exp = await h.call('Operator', { method: 'GET', url: `${base}/devices/export` });
      assert.equal(exp.statusCode, 200);
      const ws = await readSheet(exp.rawPayload);
      assert.equal(ws.rowCount, 5);
      const settings = '{"authentication":"high","clientAddress":48,"logicalServer":1,"maxPduRx":256,"maxPduTx":256,"resendCount":3,"securitySuite":0,"serverAddressLength":0}';
      assert.deepEqual((ws.getRow(2).values as unknown[]).slice(1), [
        'Ипорт канала связи TCP', 'TCP', '95.153.224.218', 5279, '01-598', 'DLMS', 16, '{secretsSet}', 35, 'Новая группа', 'CE208', '0000000000001',
        '', settings, '', 'DL_CE_208', 'PROTO_MAP_SPODES_CE208_V10', 0, 3,
      ]);
      const again = await h.call('Operator', { method: 'POST', url: `${base}/devices/import?update=true`, headers: { 'content-type': XLSX }, payload: exp.rawPayload });
      assert.deepEqual([again.json().updated, again.json().unchanged], [{ devices: 0, channels: 0, protocols: 0 }, { devices: 4, channels: 2, protocols: 2 }]);
      // Into an empty project the passwords travel wrapped under a transport key.
      const key = { 'x-transport-key': 'ab'.repeat(32) };
      const wrapped = await h.call('Administrator', { method: 'GET', url: `${base}/devices/export?secrets=include`, headers: key });
      const other = (await h.call('Administrator', { method: 'POST', url: '/api/v1/projects', payload: { name: 'Copy' } })).json();
      const imp = await h.call('Administrator', { method: 'POST', url: `/api/v1/projects/${other.id}/devices/import`, headers: { 'content-type': XLSX, ...key }, payload: wrapped.rawPayload });
      assert.equal(imp.json().created.devices, 4, imp.body);
      const exp2 = await h.call('Administrator', { method: 'GET', url: `/api/v1/projects/${other.id}/devices/export?secrets=include`, headers: key });
      const a = await readSheet(wrapped.rawPayload);
      const b = await readSheet(exp2.rawPayload);
      const rowsOf = (s: ExcelJS.Worksheet) => s.getSheetValues().slice(1).map((r) => JSON.stringify(r));
      assert.deepEqual(rowsOf(b), rowsOf(a));
    });

    it('round-trips the JSON configuration of appendix 1 and names bad fields', async () => {
      const exp = (await h.call('Operator', { method: 'GET', url: `${base}/config` })).json();
      assert.equal(exp.Meta.SchemaVersion, 'v1');
      const tcp = exp.Channels.find((c: { Name: string }) => c.Name === 'Импорт канала CENC');
      assert.equal(tcp.Type, 'CHAN_TYPE_TCP');
      assert.deepEqual(JSON.parse(tcp.Settings), { CHAN_TYPE_TCP_OP_IP_ADDRESS: '10.5.114.138', CHAN_TYPE_TCP_OP_IP_PORT: '5001', CHAN_TYPE_TCP_OP_USE_7E1: 'false' });
      const dlms = JSON.parse(exp.Protocols.find((p: { Name: string }) => p.Name === '01-458').Settings);
      assert.equal(dlms.DLMS_PASSWORD, undefined, 'secrets are not in Settings');
      assert.deepEqual(exp.Protocols.find((p: { Name: string }) => p.Name === '01-458').Secrets, { DLMS_PASSWORD: { secretsSet: true } });
      assert.equal(dlms.DLMS_WAIT_TIME, '00:00:35');
      assert.equal(dlms.DLMS_AUTHENTICATION, 'High');
      const dev = exp.Groups.flatMap((g: { Devices: unknown[] }) => g.Devices).find((d: { SerialNumber: string }) => d.SerialNumber === '0000000000004');
      assert.deepEqual([dev.Type, dev.Status, dev.CommLines[0].DeviceLib, dev.CommLines[0].ProtocolMap], ['DT_CE307', 'DS_INUSE', 'DL_CE_307', 'PROTO_MAP_SPODES_CE307_V10']);
      const other = (await h.call('Administrator', { method: 'POST', url: '/api/v1/projects', payload: { name: 'JSON copy' } })).json();
      const imp = await h.call('Administrator', { method: 'POST', url: `/api/v1/projects/${other.id}/config`, payload: exp });
      assert.equal(imp.statusCode, 200, imp.body);
      const none = { channels: 0, protocols: 0, groups: 0, devices: 0, commLines: 0, profileVersions: 0 };
      assert.deepEqual(imp.json(), { created: { channels: 2, protocols: 2, groups: 3, devices: 4, commLines: 4, profileVersions: 0 }, updated: none, unchanged: { ...none, groups: 1 } });
      const back = (await h.call('Administrator', { method: 'GET', url: `/api/v1/projects/${other.id}/config` })).json();
      const strip = (c: { Meta: unknown; Groups: { Name: string; Devices: { SerialNumber: string; CommLines: unknown[] }[] }[]; Channels: { Name: string; Settings: string }[]; Protocols: { Name: string; Settings: string }[] }) => ({
        channels: c.Channels.map((x) => [x.Name, x.Settings]), protocols: c.Protocols.map((x) => [x.Name, JSON.parse(x.Settings)]),
        groups: c.Groups.filter((g) => g.Devices.length).map((g) => [g.Name, g.Devices.map((d) => d.SerialNumber)]),
      });
      assert.deepEqual(strip(back), strip(exp));
      // Importing the same file again into the source project is an update, not a duplicate.
      const same = await h.call('Operator', { method: 'POST', url: `${base}/config`, payload: exp });
      assert.equal(same.statusCode, 200);
      assert.deepEqual(same.json(), { created: none, updated: none, unchanged: { channels: 2, protocols: 2, groups: 4, devices: 4, commLines: 4, profileVersions: 0 } });
      assert.equal(await count('devices'), 4);
      const broken = structuredClone(exp);
      broken.Channels[0].Settings = JSON.stringify({ CHAN_TYPE_TCP_OP_IP_ADDRESS: '1.2.3.4', CHAN_TYPE_TCP_OP_IP_PORT: '99999' });
      const bad = await h.call('Operator', { method: 'POST', url: `${base}/config`, payload: broken });
      assert.deepEqual([bad.statusCode, bad.json().error.field], [400, 'body.Channels[0].Settings.port']);
    });

    it('runs a large import as a job: 202, progress by phase, the result; an invalid file leaves its marked workbook on the job', async () => {
      const rows = Array.from({ length: 2500 }, (_, i) => ['job channel', 'TCP', '10.9.9.9', 4059, 'job protocol', 'DLMS', 16, 'pw123456', 30, 'job group', 'CE208', `J${String(i).padStart(6, '0')}`]);
      const file = await workbook(rows);
      // What onProgress hears: rows read per 1,000, then checking, writing per 5,000-device chunk, done.
      const seen: string[] = [];
      const elsewhere = String((await createProject(h.t.db, { name: 'progress' }, null)).id);
      await importDevices(h.t.db, h.box, elsewhere, file, { update: false, onProgress: (p) => seen.push(`${p.phase} ${p.rowsRead} ${p.devicesWritten}/${p.devicesToWrite}`) });
      assert.deepEqual(seen, ['reading 0 0/0', 'reading 1000 0/0', 'reading 2000 0/0', 'checking 2500 0/0', 'writing 2500 0/2500', 'writing 2500 2500/2500', 'done 2500 2500/2500']);

      const poll = async (url: string) => {
        for (let i = 0; i < 1000; i++) {
          const r = await h.call('Operator', { method: 'GET', url });
          assert.equal(r.statusCode, 200, r.body);
          if (r.json().state !== 'running') return r.json();
          await new Promise((res) => setTimeout(res, 10));
        }
        throw new Error('the job did not finish');
      };
      const start = await h.call('Operator', { method: 'POST', url: `${base}/devices/import-jobs`, headers: { 'content-type': XLSX }, payload: file });
      assert.equal(start.statusCode, 202, start.body);
      assert.deepEqual([start.json().state, start.json().progress.phase], ['running', 'reading']);
      assert.equal(start.headers.location, `${base}/devices/import-jobs/${start.json().id}`);
      const done = await poll(String(start.headers.location));
      assert.equal(done.state, 'succeeded');
      assert.deepEqual(done.progress, { phase: 'done', rowsRead: 2500, devicesWritten: 2500, devicesToWrite: 2500 });
      assert.deepEqual(done.result.created, { devices: 2500, channels: 1, protocols: 1, groups: 1, commLines: 2500 });
      const imported = await h.t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM devices WHERE project_id = $1 AND serial_number LIKE 'J%'`, [h.projectId]);
      assert.equal(imported.rows[0].n, 2500);
      const noMarks = await h.call('Operator', { method: 'GET', url: `${start.headers.location}/error-workbook` });
      assert.equal(noMarks.statusCode, 404);

      // The same file again: every device exists, so the job ends invalid with the first 1,000 errors listed.
      const again = await h.call('Operator', { method: 'POST', url: `${base}/devices/import-jobs`, headers: { 'content-type': XLSX }, payload: file });
      const invalid = await poll(String(again.headers.location));
      assert.deepEqual([invalid.state, invalid.errorCount, invalid.errors.length], ['invalid', 2500, 1000]);
      assert.deepEqual(invalid.errors[0], { row: 2, column: 12, message: 'the device already exists; use import with update' });
      assert.equal(invalid.errorWorkbookUrl, `${again.headers.location}/error-workbook`);
      const marked = await h.call('Operator', { method: 'GET', url: invalid.errorWorkbookUrl });
      assert.equal(marked.headers['content-type'], XLSX);
      const ws = await readSheet(marked.rawPayload);
      assert.equal(ws.rowCount, 2501);
      assert.match(String(ws.getCell('L2501').note), /already exists/);
      assert.equal(ws.getCell('A2501').note, undefined);

      // Another project's members cannot see the job; an unreadable file fails the job with its reason.
      const other = (await h.call('Administrator', { method: 'POST', url: '/api/v1/projects', payload: { name: 'Jobs elsewhere' } })).json();
      const foreign = await h.call('Administrator', { method: 'GET', url: `/api/v1/projects/${other.id}/devices/import-jobs/${start.json().id}` });
      assert.deepEqual([foreign.statusCode, foreign.json().error.code], [404, 'NOT_FOUND']);
      const junk = await h.call('Operator', { method: 'POST', url: `${base}/devices/import-jobs`, headers: { 'content-type': XLSX }, payload: Buffer.from('not a zip') });
      const failed = await poll(String(junk.headers.location));
      assert.deepEqual([failed.state, failed.error.code], ['failed', 'UNREADABLE_FILE']);
      const json = await h.call('Operator', { method: 'POST', url: `${base}/devices/import-jobs`, payload: {} });
      assert.deepEqual([json.statusCode, json.json().error.code], [415, 'UNSUPPORTED_MEDIA_TYPE']);
    });
  });
}
