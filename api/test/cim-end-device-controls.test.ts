/**
 * `create EndDeviceControls` over POST /api/v1/cim: remote disconnect/connect codes become the relay
 * commands of the REST API (one-off tasks, initiator "iec"), a disconnect waits for a second user's approval
 * when the project says so, the reply names the command (task) ids; unknown codes and meters get one Error
 * each; the control permission is required.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { ENGINES } from '../../registry/testing.js';
import { createDevice } from '../../registry/project-data.js';
import { startHarness, type Harness } from './harness.js';

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', removeNSPrefix: true, parseTagValue: false, isArray: (name) => ['EndDeviceControl', 'EndDevices', 'ID', 'Error'].includes(name) });
type Node = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

for (const db of ENGINES) {
  describe(`create EndDeviceControls (${db})`, () => {
    let h: Harness;
    let ids: string[];
    const base = () => `/api/v1/projects/${h.projectId}`;
    const post = (body: string, type: string, role = 'M2M') => h.call(role, { method: 'POST', url: '/api/v1/cim', headers: { 'content-type': type }, payload: body });
    const task = async (id: string) => (await h.call('Administrator', { method: 'GET', url: `${base()}/tasks/${id}` })).json();

    before(async () => {
      h = await startHarness(db);
      ids = [];
      for (const serial of ['1001', '1002']) ids.push(String((await createDevice(h.t.db, h.projectId, { serialNumber: serial, type: 'CE308' })).id));
    });
    after(async () => {
      await h.close();
    });

    it('a SOAP CreateEndDeviceControls disconnect becomes a relay command awaiting approval; its id comes back', async () => {
      const s = await h.call('Administrator', { method: 'PUT', url: `${base()}/control-settings`, payload: { relayDisconnectApproval: true } });
      assert.equal(s.statusCode, 200, s.body);
      const r = await post(`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>
        <CreateEndDeviceControls xmlns="http://iec.ch/TC57/2011/EndDeviceControlsMessage" xmlns:edc="http://iec.ch/TC57/2011/EndDeviceControls#">
          <Header><Verb>create</Verb><Noun>EndDeviceControls</Noun><MessageID>dc-1</MessageID></Header>
          <Payload><edc:EndDeviceControls><edc:EndDeviceControl><edc:mRID>mdm-order-7</edc:mRID>
            <edc:EndDeviceControlType ref="3.31.0.23"/><edc:EndDevices><edc:mRID>${ids[0]}</edc:mRID></edc:EndDevices>
          </edc:EndDeviceControl></edc:EndDeviceControls></Payload>
        </CreateEndDeviceControls></soapenv:Body></soapenv:Envelope>`, 'text/xml');
      assert.equal(r.statusCode, 200, r.body);
      const m = (xml.parse(r.body) as Node).Envelope.Body.EndDeviceControlsResponseMessage;
      assert.equal(m.Reply.Result, 'OK');
      assert.equal(m.Header.CorrelationID, 'dc-1');
      const id = m.Reply.ID[0]['#text'];
      assert.equal(m.Reply.ID[0].objectType, 'EndDeviceControl');
      const [control] = m.Payload.EndDeviceControls.EndDeviceControl;
      assert.deepEqual([control.mRID, control.issuerTrackingID, control.EndDeviceControlType.ref, control.EndDevices[0].mRID], [id, 'mdm-order-7', '3.31.0.23', ids[0]]);
      assert.match(control.reason, /approval/);
      const t = await task(id);
      assert.deepEqual([t.content.commands, t.initiator, t.approval, t.deviceIds], [[{ function: 'relay-disconnect' }], 'iec', 'awaiting', [ids[0]]]);
      // The approval workflow of the relay commands: a second user approves.
      const ok = await h.call('Administrator', { method: 'POST', url: `${base()}/tasks/${id}/approve` });
      assert.equal(ok.json().approval, 'approved', ok.body);
    });

    it('JSON connect by serial number (2.31.0.18 as seen in the field) is launched at once', async () => {
      const r = await post(JSON.stringify({
        RequestMessage: {
          Header: { Verb: 'create', Noun: 'EndDeviceControls' },
          Payload: { EndDeviceControls: { EndDeviceControl: [{ EndDeviceControlType: { ref: '2.31.0.18' }, EndDevices: [{ Names: [{ name: '1002' }] }] }] } },
        },
      }), 'application/json');
      assert.equal(r.statusCode, 200, r.body);
      const m = r.json().ResponseMessage;
      assert.equal(m.Reply.Result, 'OK');
      const id = m.Reply.ID[0].value;
      assert.match(m.Payload.EndDeviceControls.EndDeviceControl[0].reason, /^launched \(launch [0-9a-f-]{36}\)$/);
      const t = await task(id);
      assert.deepEqual([t.content.commands[0].function, t.approval, t.deviceIds, t.lastLaunch !== null], ['relay-connect', 'not-required', [ids[1]], true]);
    });

    it('unknown control types and meters: one Error each; nothing to do is FAILED; the control permission is needed', async () => {
      const body = (controls: object[]) => JSON.stringify({ RequestMessage: { Header: { Verb: 'create', Noun: 'EndDeviceControls' }, Payload: { EndDeviceControls: { EndDeviceControl: controls } } } });
      const r = await post(body([
        { EndDeviceControlType: { ref: '3.8.0.215' }, EndDevices: [{ mRID: ids[0] }] },
        { mRID: 'x'.repeat(500), EndDeviceControlType: { ref: '3.31.0.18' }, EndDevices: [{ mRID: ids[0] }, { Names: [{ name: 'nope' }] }] },
      ]), 'application/json');
      assert.equal(r.statusCode, 200, r.body);
      const m = r.json().ResponseMessage;
      assert.equal(m.Reply.Result, 'PARTIAL');
      assert.deepEqual(m.Reply.Error.map((e: Node) => [e.code, e.xpath]), [
        ['2.3', '/RequestMessage/Payload/EndDeviceControls/EndDeviceControl[1]/EndDeviceControlType'],
        ['2.4', '/RequestMessage/Payload/EndDeviceControls/EndDeviceControl[2]/EndDevices[2]'],
      ]);
      assert.equal(m.Reply.ID.length, 1);

      const none = await post(body([{ EndDeviceControlType: { ref: '3.31.0.18' }, EndDevices: [{ mRID: 'nope' }] }]), 'application/json');
      assert.deepEqual([none.statusCode, none.json().ResponseMessage.Reply.Result], [404, 'FAILED']);
      const empty = await post(body([]), 'application/json');
      assert.equal(empty.json().ResponseMessage.Reply.Error[0].xpath, '/RequestMessage/Payload/EndDeviceControls/EndDeviceControl');
      const user = await post(body([{ EndDeviceControlType: { ref: '3.31.0.18' }, EndDevices: [{ mRID: ids[0] }] }]), 'application/json', 'User');
      assert.deepEqual([user.statusCode, user.json().ResponseMessage.Reply.Error[0].code], [403, '2.6']);
    });
  });
}
