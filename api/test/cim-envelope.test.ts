/**
 * The IEC 61968-100 endpoint's envelope: JSON and XML (bare, SOAP 1.1 and 1.2, 2011 and 2017 namespaces,
 * noun-specific wrappers) parsed alike; malformed messages answered as ResponseMessage FAILED naming the
 * element (never a 500), in the request's format; authentication, permissions per verb and the audit.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import fc from 'fast-check';
import { ENGINES } from '../../registry/testing.js';
import { parseMessage, renderResponse } from '../cim/envelope.js';
import { startHarness, type Harness } from './harness.js';

const MSG = 'http://iec.ch/TC57/2011/schema/message';
const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', removeNSPrefix: true, parseTagValue: false });
type Node = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
/** The namespace an element of an XML text declares. */
const nsOf = (body: string, element: string) => new RegExp(`<(?:\\w+:)?${element}\\b[^>]*\\bxmlns(?::\\w+)?="([^"]+)"`).exec(body)?.[1];

const header = (verb: string, noun: string) => `<Header><Verb>${verb}</Verb><Noun>${noun}</Noun><Timestamp>2026-01-01T00:00:00Z</Timestamp><Source>MDM</Source><MessageID>m-1</MessageID><AsyncReplyFlag>false</AsyncReplyFlag><User><UserID>mdm</UserID></User></Header>`;

describe('CIM envelope parsing', () => {
  it('reads JSON and XML alike: header fields, Request content, attributes as properties', () => {
    const fromXml = parseMessage(`<m:RequestMessage xmlns:m="${MSG}">${header('get', 'MeterReadings').replace(/<(\/?)/g, '<$1m:')}<m:Request><GetMeterReadings xmlns="http://iec.ch/TC57/2011/GetMeterReadings#"><ReadingType ref="a.b"/></GetMeterReadings></m:Request></m:RequestMessage>`, 'xml');
    const fromJson = parseMessage(JSON.stringify({
      RequestMessage: {
        Header: { Verb: 'get', Noun: 'MeterReadings', Timestamp: '2026-01-01T00:00:00Z', Source: 'MDM', MessageID: 'm-1', AsyncReplyFlag: false, User: { UserID: 'mdm' } },
        Request: { GetMeterReadings: { ReadingType: { ref: 'a.b' } } },
      },
    }), 'json');
    assert.deepEqual(fromXml.header, fromJson.header);
    assert.deepEqual(fromXml.request, fromJson.request);
    assert.equal(fromXml.header.MessageID, 'm-1');
    assert.equal(fromXml.header.AsyncReplyFlag, false);
    assert.equal(fromXml.edition, '2011');
  });

  it('takes SOAP 1.1 and 1.2 envelopes, the 2017 namespaces and noun-specific wrappers', () => {
    const soap = parseMessage(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:m="http://iec.ch/TC57/2017/schema/message"><s:Body><m:RequestMessage>${header('get', 'MeterReadings')}</m:RequestMessage></s:Body></s:Envelope>`, 'xml');
    assert.equal(soap.soap, 'http://www.w3.org/2003/05/soap-envelope');
    assert.equal(soap.edition, '2017');
    assert.equal(soap.wrapper, 'RequestMessage');
    const wrapped = parseMessage(`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><CreateEndDeviceControls xmlns="http://iec.ch/TC57/2011/EndDeviceControlsMessage">${header('create', 'EndDeviceControls')}<Payload><EndDeviceControls/></Payload></CreateEndDeviceControls></soapenv:Body></soapenv:Envelope>`, 'xml');
    assert.equal(wrapped.wrapper, 'CreateEndDeviceControls');
    assert.equal(wrapped.header.Noun, 'EndDeviceControls');
    const out = renderResponse(wrapped, { Result: 'OK' });
    assert.match(out.contentType, /^text\/xml/);
    const doc = xml.parse(out.body) as Node;
    assert.equal(nsOf(out.body, 'Envelope'), 'http://schemas.xmlsoap.org/soap/envelope/');
    const r = doc.Envelope.Body.EndDeviceControlsResponseMessage;
    assert.equal(nsOf(out.body, 'EndDeviceControlsResponseMessage'), 'http://iec.ch/TC57/2011/EndDeviceControlsMessage');
    assert.equal(r.Header.Verb, 'reply');
    assert.equal(r.Header.CorrelationID, 'm-1');
    assert.equal(r.Reply.Result, 'OK');
  });

  it('names the element at fault', () => {
    const fault = (body: string, format: 'xml' | 'json') => {
      try {
        parseMessage(body, format);
      } catch (e) {
        return { xpath: (e as { xpath: string }).xpath, message: (e as Error).message };
      }
      assert.fail('parsed');
    };
    assert.match(fault(`<RequestMessage xmlns="${MSG}"><Header><Verb>get</Header></RequestMessage>`, 'xml').message, /malformed XML at line 1.*Verb/);
    assert.equal(fault(`<RequestMessage xmlns="${MSG}"><Request/></RequestMessage>`, 'xml').xpath, '/RequestMessage/Header');
    assert.equal(fault(`<RequestMessage xmlns="${MSG}"><Header><Noun>MeterReadings</Noun></Header></RequestMessage>`, 'xml').xpath, '/RequestMessage/Header/Verb');
    assert.equal(fault(`<RequestMessage xmlns="${MSG}"><Header><Verb>fetch</Verb><Noun>X</Noun></Header></RequestMessage>`, 'xml').xpath, '/RequestMessage/Header/Verb');
    assert.equal(fault(`<RequestMessage xmlns="urn:other">${header('get', 'MeterReadings')}</RequestMessage>`, 'xml').xpath, '/RequestMessage');
    assert.equal(fault('{"RequestMessage": {"Header": {"Verb": "get"}}}', 'json').xpath, '/RequestMessage/Header/Noun');
    assert.equal(fault('{"RequestMessage": {"Header": {"Verb": "get", "Noun": "MeterReadings", "AsyncReplyFlag": "maybe"}}}', 'json').xpath, '/RequestMessage/Header/AsyncReplyFlag');
    assert.equal(fault('{"GetMeterReadings": {"Header": {"Verb": "create", "Noun": "EndDeviceControls"}}}', 'json').xpath, '/GetMeterReadings/Header/Verb');
    assert.match(fault('{"RequestMessage": {', 'json').message, /malformed JSON/);
    assert.match(fault(`<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><RequestMessage xmlns="${MSG}">${header('get', 'MeterReadings')}<Request>&b;</Request></RequestMessage>`, 'xml').message, /DOCTYPE/);
  });

  it('any text, and any mutation of a valid message, parses or fails with a fault naming an element (never another error)', () => {
    const valid = `<m:RequestMessage xmlns:m="${MSG}">${header('get', 'MeterReadings')}<m:Request><EndDevice><mRID>x</mRID></EndDevice></m:Request></m:RequestMessage>`;
    const outcome = (body: string, format: 'xml' | 'json') => {
      try {
        parseMessage(body, format);
      } catch (e) {
        assert.equal(typeof (e as { xpath?: unknown }).xpath, 'string', `${(e as Error).stack} for ${JSON.stringify(body)}`);
      }
    };
    fc.assert(fc.property(fc.string(), (s) => {
      outcome(s, 'xml');
      outcome(s, 'json');
    }), { numRuns: 300 });
    fc.assert(fc.property(fc.nat(valid.length), fc.nat(valid.length), fc.string({ maxLength: 8 }), (a, b, insert) => {
      outcome(valid.slice(0, Math.min(a, b)) + insert + valid.slice(Math.max(a, b)), 'xml');
    }), { numRuns: 500 });
    fc.assert(fc.property(fc.jsonValue(), (v) => outcome(JSON.stringify({ RequestMessage: { Header: v } }), 'json')), { numRuns: 300 });
  });
});

for (const db of ENGINES) {
  describe(`POST /api/v1/cim envelope (${db})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(db);
    });
    after(async () => {
      await h.close();
    });
    const post = (role: string | null, body: string, type: string) => h.call(role, { method: 'POST', url: '/api/v1/cim', headers: { 'content-type': type }, payload: body });

    it('answers malformed XML and JSON with ResponseMessage FAILED in the same format, never a 500', async () => {
      const r = await post('Operator', `<RequestMessage xmlns="${MSG}"><Header><Verb>get</Verb>`, 'application/xml');
      assert.equal(r.statusCode, 400);
      assert.match(String(r.headers['content-type']), /^application\/xml/);
      const doc = xml.parse(r.body) as Node;
      assert.equal(nsOf(r.body, 'ResponseMessage'), MSG);
      assert.equal(doc.ResponseMessage.Reply.Result, 'FAILED');
      assert.equal(doc.ResponseMessage.Reply.Error.code, '2.1');
      assert.equal(doc.ResponseMessage.Reply.Error.level, 'FATAL');
      assert.match(doc.ResponseMessage.Reply.Error.reason, /malformed XML/);

      const j = await post('Operator', '{"RequestMessage": {"Header": ', 'application/json');
      assert.equal(j.statusCode, 400);
      assert.equal(j.json().ResponseMessage.Reply.Result, 'FAILED');
      assert.match(j.json().ResponseMessage.Reply.Error[0].reason, /malformed JSON/);

      const missing = await post('Operator', JSON.stringify({ RequestMessage: { Header: { Verb: 'get' } } }), 'application/json');
      assert.equal(missing.json().ResponseMessage.Reply.Error[0].xpath, '/RequestMessage/Header/Noun');

      const plain = await post('Operator', 'hello', 'text/plain');
      assert.equal(plain.statusCode, 415);
      assert.equal(plain.json().ResponseMessage.Reply.Result, 'FAILED');
    });

    it('refuses unsupported verb/noun pairs naming the Noun, echoing the message id', async () => {
      const r = await post('Operator', `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><RequestMessage xmlns="http://iec.ch/TC57/2017/schema/message">${header('delete', 'Customers')}</RequestMessage></soap:Body></soap:Envelope>`, 'text/xml');
      assert.equal(r.statusCode, 400);
      const m = (xml.parse(r.body) as Node).Envelope.Body.ResponseMessage;
      assert.equal(nsOf(r.body, 'ResponseMessage'), 'http://iec.ch/TC57/2017/schema/message');
      assert.equal(m.Header.Noun, 'Customers');
      assert.equal(m.Header.CorrelationID, 'm-1');
      assert.equal(m.Reply.Error.code, '2.2');
      assert.equal(m.Reply.Error.xpath, '/RequestMessage/Header/Noun');
    });

    it('needs a token and the verb\'s permission; every request is audited', async () => {
      const body = JSON.stringify({ RequestMessage: { Header: { Verb: 'get', Noun: 'MeterReadings', MessageID: 'audit-me' } } });
      const anonymous = await post(null, body, 'application/json');
      assert.equal(anonymous.statusCode, 401);
      const user = await post('User', body, 'application/json');
      assert.equal(user.statusCode, 403);
      assert.equal(user.json().ResponseMessage.Reply.Error[0].code, '2.6');
      assert.match(user.json().ResponseMessage.Reply.Error[0].reason, /Execute\.ESB\.Device\.Read/);
      const m2m = await post('M2M', body, 'application/json');
      assert.notEqual(m2m.statusCode, 401, 'API tokens are accepted');
      const ev = await h.t.db.query<{ username: string; level: string; params: { messageId: string; result: string } }>(
        "SELECT username, level, params FROM events WHERE code = 'SET_CIM_REQUEST' ORDER BY id",
      );
      const mine = ev.rows.filter((e) => e.params.messageId === 'audit-me');
      assert.deepEqual(mine.map((e) => [e.username, e.params.result, e.level]), [['u-user', 'FAILED', 'warning'], ['u-m2m', 'FAILED', 'warning']]);
    });
  });
}
