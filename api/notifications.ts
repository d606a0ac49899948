/**
 * Outbound notifications (docs/notifications.md): the project's rules (Read/Write/Delete.Notifications),
 * the record of notifications with filters and paging — `status=failed` is the dead-letter list — and the
 * replay of a failed notification.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import * as notifications from '../registry/notifications.js';
import { audit, checkQueryRange, ifMatch, paging, projectIdOf, setEtag, uuid } from './http.js';
import { projectParams } from './crud-routes.js';
import { counted, noContent, ref } from './schemas.js';

const READ = ['Read.Notifications'];
const WRITE = ['Write.Notifications'];
const tag = 'notifications';

const object = (properties: Record<string, object>, required: string[] = [], extra: object = {}) =>
  ({ type: 'object', additionalProperties: false, properties, required, ...extra });
const page = paging();
const hhmm = { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' };

const ruleProps = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  enabled: { type: 'boolean' },
  channel: { type: 'string', enum: notifications.CHANNELS },
  eventCodes: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 65535 }, maxItems: 1000, uniqueItems: true, description: 'event codes of the journals; an event matches by code or by severity' },
  severities: { type: 'array', items: { type: 'string', enum: notifications.SEVERITIES }, uniqueItems: true },
  groupIds: { type: 'array', items: uuid, maxItems: 1000, uniqueItems: true, description: 'device groups; empty or absent: every group' },
  recipients: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 254 }, minItems: 1, maxItems: 100, description: 'email: addresses; sms: phone numbers' },
  url: { type: 'string', minLength: 1, maxLength: 2000, description: 'webhook: the receiver; cim: the MDM endpoint that takes created EndDeviceEvents (docs/cim.md); sms: the gateway URL template ({to}, {message}, {secret}, {device}, {code}, {severity}, {time})' },
  method: { type: 'string', enum: ['GET', 'POST'], description: 'sms: the gateway request method (default POST)' },
  headers: { type: 'object', additionalProperties: { type: 'string', maxLength: 2000 }, maxProperties: 20, description: 'sms: header templates' },
  bodyTemplate: { type: 'string', maxLength: 10000, description: 'sms: body template; values are JSON-escaped for a JSON content-type, percent-encoded for a form' },
  secret: { type: ['string', 'null'], minLength: 1, maxLength: 500, writeOnly: true, description: 'webhook and cim: the signing secret (required); sms: the gateway credential for {secret}; null removes it' },
  quietPeriod: { type: ['object', 'null'], additionalProperties: false, required: ['from', 'to'], properties: { from: hhmm, to: hhmm }, description: 'daily HH:MM–HH:MM in the project time zone; over midnight when from > to' },
  dedupSeconds: { type: 'integer', minimum: 0, maximum: 604800, description: 'the same event code of the same device within this many seconds is a duplicate (default 3600; 0: off)' },
};
const ruleParams = object({ projectId: uuid, ruleId: uuid }, ['projectId', 'ruleId']);

export function notificationRoutes(app: FastifyInstance): void {
  const { db, box } = app.registry;
  const p = '/projects/:projectId';
  const ruleId = (req: FastifyRequest) => (req.params as { ruleId: string }).ruleId;

  app.get(`${p}/notification-rules`, {
    config: { access: READ }, schema: { tags: [tag], summary: 'List notification rules', params: projectParams, querystring: object(page), response: { 200: counted('NotificationRule', 'By name') } },
  }, async (req) => {
    const q = req.query as { limit: number; offset: number };
    const r = await notifications.listRules(db, projectIdOf(req), q.limit, q.offset);
    return { items: r.items.map(notifications.presentRule), total: r.total, limit: q.limit, offset: q.offset };
  });

  app.post(`${p}/notification-rules`, {
    config: { access: WRITE }, schema: { tags: [tag], summary: 'Create a notification rule', params: projectParams, body: object(ruleProps, ['name', 'channel']), response: { 201: ref('NotificationRule') } },
  }, async (req, reply) => {
    const r = await notifications.createRule(db, box, projectIdOf(req), req.body as notifications.RuleInput & { name: string; channel: notifications.Channel });
    await audit(req, 'general', 'SET_NOTIFICATION_RULE_ADD', { id: r.id, name: r.name }, projectIdOf(req));
    setEtag(reply, r);
    return reply.code(201).send(notifications.presentRule(r));
  });

  app.get(`${p}/notification-rules/:ruleId`, {
    config: { access: READ }, schema: { tags: [tag], summary: 'Get a notification rule', params: ruleParams, response: { 200: ref('NotificationRule') } },
  }, async (req, reply) => {
    const r = await notifications.getRule(db, projectIdOf(req), ruleId(req));
    setEtag(reply, r);
    return notifications.presentRule(r);
  });

  app.patch(`${p}/notification-rules/:ruleId`, {
    config: { access: WRITE },
    schema: { tags: [tag], summary: 'Change a notification rule (If-Match: its version)', params: ruleParams, body: object(ruleProps, [], { minProperties: 1 }), response: { 200: ref('NotificationRule') } },
  }, async (req, reply) => {
    const r = await notifications.updateRule(db, box, projectIdOf(req), ruleId(req), req.body as notifications.RuleInput, ifMatch(req));
    await audit(req, 'general', 'SET_NOTIFICATION_RULE_UPDATE', { id: r.id, name: r.name }, projectIdOf(req));
    setEtag(reply, r);
    return notifications.presentRule(r);
  });

  app.delete(`${p}/notification-rules/:ruleId`, {
    config: { access: ['Delete.Notifications'] }, schema: { tags: [tag], summary: 'Delete a notification rule (its notifications stay recorded)', params: ruleParams, response: { 204: noContent } },
  }, async (req, reply) => {
    await notifications.deleteRule(db, projectIdOf(req), ruleId(req));
    await audit(req, 'general', 'SET_NOTIFICATION_RULE_REMOVE', { id: ruleId(req) }, projectIdOf(req));
    return reply.code(204).send();
  });

  app.get(`${p}/notifications`, {
    config: { access: READ },
    schema: {
      tags: [tag], summary: 'Notifications sent, pending, failed (the dead-letter list: status=failed) and suppressed', params: projectParams,
      querystring: object({
        ...page, status: { type: 'string', enum: notifications.DELIVERY_STATUSES }, channel: { type: 'string', enum: notifications.CHANNELS },
        ruleId: uuid, deviceId: uuid, eventCode: { type: 'integer', minimum: 0, maximum: 65535 },
        from: { type: 'string', format: 'date-time', description: 'recorded at or after' }, to: { type: 'string', format: 'date-time', description: 'recorded before' },
      }),
      response: { 200: counted('Notification', 'Newest first') },
    },
  }, async (req) => {
    const q = req.query as notifications.DeliveryFilter & { limit: number; offset: number };
    checkQueryRange(q);
    const r = await notifications.listDeliveries(db, projectIdOf(req), q, q.limit, q.offset);
    return { ...r, limit: q.limit, offset: q.offset };
  });

  app.post(`${p}/notifications/:notificationId/replay`, {
    config: { access: WRITE },
    schema: {
      tags: [tag], summary: 'Send a failed notification again (a new first attempt, to the rule\'s current target)',
      params: object({ projectId: uuid, notificationId: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } }, ['projectId', 'notificationId']), response: { 202: ref('Notification', 'Queued (status pending)') },
    },
  }, async (req, reply) => {
    const id = (req.params as { notificationId: number }).notificationId;
    const n = await notifications.replayDelivery(db, projectIdOf(req), id, req.server.clock());
    await audit(req, 'general', 'SET_NOTIFICATION_REPLAY', { id }, projectIdOf(req));
    app.notifier?.kick();
    return reply.code(202).send(n);
  });
}
