/**
 * `POST /api/v1/cim`: one endpoint for every IEC 61968-100 message (docs/cim.md). The Header's Verb and Noun
 * route it; JSON or XML (bare or SOAP) by Content-Type, answered in the same format. Bodies reach the
 * handler as text (this plugin's own content-type parser), so a malformed message is answered as a
 * ResponseMessage FAILED naming the element, never by the generic error handler. Each request needs a
 * signed-in caller (our tokens or M2M API tokens) with the verb's permission, sees only the caller's
 * projects and is audited.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { audit } from '../http.js';
import { CODES, CimFault, formatOf, parseMessage, renderResponse, renderResponseStream, type CimMessage, type PayloadStream, type Plain, type Reply, type ReplyTo } from './envelope.js';
import { getMeterReadings } from './meter-readings.js';
import { createEndDeviceControls } from './end-device-controls.js';
import { getEndDevices } from './end-devices.js';
import { createMeterReadSchedules, getMeterReadSchedules } from './read-schedules.js';
import { text } from 'node:stream/consumers';
import { queueCimReply } from '../../notify/notifier.js';

/** `deferred`: the reply leaves later, from a follow-up (follow-ups.ts); answered now as it is. */
type Handler = (req: FastifyRequest, msg: CimMessage) => Promise<{ reply: Reply; payload?: Plain; stream?: PayloadStream; status: number; deferred?: boolean }>;

/** What the endpoint answers, by "verb Noun", and the permission each needs. */
const OPERATIONS: Record<string, { permission: string; handle: Handler }> = {
  'get MeterReadings': { permission: 'Execute.ESB.Device.Read', handle: getMeterReadings },
  'create EndDeviceControls': { permission: 'Execute.ESB.Device.Control', handle: createEndDeviceControls },
  'get EndDevices': { permission: 'Execute.ESB.Device.Read', handle: getEndDevices },
  // Schedules are collection tasks: the collection task routes' permissions.
  'create MeterReadSchedules': { permission: 'Write.DataCollection.Job', handle: createMeterReadSchedules },
  'get MeterReadSchedules': { permission: 'Read.DataCollection.Job', handle: getMeterReadSchedules },
};

const MEDIA = ['application/json', 'application/xml', 'text/xml', 'application/soap+xml'];
const description = 'ResponseMessage (or <Noun>ResponseMessage for noun-specific requests) in the format of the request: Header, Reply (Result, Error: code, level, reason, xpath, ID), Payload';
const replies = Object.fromEntries(MEDIA.map((t) => [t, { schema: t === 'application/json' ? { type: 'object', additionalProperties: true, description } : { type: 'string', description } }]));

export async function cimRoutes(app: FastifyInstance): Promise<void> {
  // Encapsulated to this plugin: every body is text, parsed by the envelope.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 64 * 1024 * 1024 }, (_req, body, done) => done(null, body));

  app.post('/cim', {
    config: { access: 'authenticated' },
    schema: {
      tags: ['cim'],
      summary: 'IEC 61968-100 request (RequestMessage or a noun-specific message such as GetMeterReadings), JSON or XML, bare or SOAP-wrapped',
      description: `Verbs and nouns: ${Object.entries(OPERATIONS).map(([op, o]) => `${op} (${o.permission})`).join(', ')}. ` +
        'Answers a ResponseMessage with Reply.Result OK, PARTIAL (one Error per unknown item) or FAILED (the Error names the element at fault in xpath); docs/cim.md.',
      consumes: MEDIA,
      body: { content: Object.fromEntries(MEDIA.map((t) => [t, { schema: { type: 'string', description: 'the request message' } }])) },
      response: {
        200: { description: 'Result OK or PARTIAL', content: replies },
        202: { description: 'AsyncReplyFlag true: Result OK, the reply (with the payload) is POSTed to ReplyAddress with retries; Reply.ID (objectType AsyncReply) names the delivery', content: replies },
        400: { description: 'Result FAILED: a malformed message (the Error names the element in xpath), an unsupported verb or noun, or no valid reading type', content: replies },
        403: { description: 'Result FAILED: the verb needs a permission the caller lacks (signing in answers 401 with the shared Error)', content: replies },
        404: { description: 'Result FAILED: none of the named meters is in the caller\'s projects', content: replies },
        415: { description: 'Result FAILED (JSON): the Content-Type is neither JSON nor XML', content: replies },
      },
    },
  }, async (req, reply) => {
    const format = formatOf(req.headers['content-type']);
    let to: ReplyTo = { format: format ?? 'json', edition: '2011', wrapper: 'RequestMessage' };
    try {
      if (!format) throw new CimFault(CODES.malformed, 'send Content-Type application/json, application/xml, text/xml or application/soap+xml', '/', 415);
      const msg = parseMessage(typeof req.body === 'string' ? req.body : '', format);
      to = msg;
      const op = OPERATIONS[`${msg.header.Verb} ${msg.header.Noun}`];
      if (!op) {
        throw new CimFault(CODES.unsupported, `"${msg.header.Verb} ${msg.header.Noun}" is not supported; supported: ${Object.keys(OPERATIONS).join(', ')}`, `/${msg.wrapper}/Header/Noun`);
      }
      if (!req.identity!.permissions.has(op.permission)) throw new CimFault(CODES.forbidden, `permission required: ${op.permission}`, `/${msg.wrapper}/Header/Verb`, 403);
      const replyAddress = msg.header.AsyncReplyFlag ? replyAddressOf(msg) : undefined;
      const r = await op.handle(req, msg);
      if (replyAddress === undefined || r.reply.Result === 'FAILED' || r.deferred) return await send(req, reply, to, r.reply, r.status, r.payload, r.stream);
      // Asynchronous: the reply goes to ReplyAddress through the notifier's deliveries (retries, dead letters);
      // the caller gets at once a ResponseMessage saying so.
      const out = r.stream ? renderResponseStream(to, r.reply, r.stream) : renderResponse(to, r.reply, r.payload);
      const body = typeof out.body === 'string' ? out.body : await text(out.body);
      const { db, box } = req.server.registry;
      const delivery = await queueCimReply(db, box, replyAddress, out.contentType, body);
      req.server.notifier?.kick();
      return await send(req, reply, to, { Result: 'OK', ID: [{ kind: 'transaction', objectType: 'AsyncReply', value: String(delivery) }] }, 202);
    } catch (e) {
      if (!(e instanceof CimFault)) throw e;
      return send(req, reply, to, { Result: 'FAILED', Error: [{ code: e.code, level: 'FATAL', reason: e.message, xpath: e.xpath }] }, e.status);
    }
  });
}

/** The ReplyAddress of an asynchronous request: required, an http(s) URL. */
function replyAddressOf(msg: CimMessage): string {
  const at = `/${msg.wrapper}/Header/ReplyAddress`;
  const address = msg.header.ReplyAddress;
  if (!address) throw new CimFault(CODES.malformed, 'Header.AsyncReplyFlag true needs a ReplyAddress', at);
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new CimFault(CODES.malformed, 'Header.ReplyAddress is not a URL', at);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CimFault(CODES.malformed, 'Header.ReplyAddress must be an http or https URL', at);
  return address;
}

async function send(req: FastifyRequest, reply: FastifyReply, to: ReplyTo, r: Reply, status: number, payload?: Plain, stream?: PayloadStream): Promise<FastifyReply> {
  const out = stream ? renderResponseStream(to, r, stream) : renderResponse(to, r, payload);
  await audit(req, 'general', 'SET_CIM_REQUEST', {
    verb: to.header?.Verb ?? null, noun: to.header?.Noun ?? null, messageId: to.header?.MessageID ?? null, format: to.format, result: r.Result,
    errors: (r.Error ?? []).length,
  }, null, r.Result === 'OK' ? 'info' : 'warning');
  return reply.code(status).type(out.contentType).send(out.body);
}
