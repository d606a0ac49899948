/**
 * Wireless M-Bus: the gateway feed over HTTP (the same JSON as the MQTT feed, ingest/wmbus/intake.ts) and
 * the meters heard but not registered, for installers. The intake runs where the data plane runs (hes start);
 * an API process without it answers 503.
 */
import type { FastifyInstance } from 'fastify';
import { GatewayMessageError, parseGatewayMessage, type WmbusIntake } from '../ingest/wmbus/intake.js';
import { listUnknownMeters } from '../registry/wmbus.js';
import { BODY_LIMITS, paging, projectIdOf, sendError } from './http.js';
import { projectParams } from './crud-routes.js';
import { counted, ref } from './schemas.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The wM-Bus intake of this process; absent when the API runs without the data plane. */
    wmbus: (() => WmbusIntake | undefined) | undefined;
  }
}

const telegram = {
  type: 'object', additionalProperties: false, required: ['telegram'],
  properties: {
    telegram: { type: 'string', pattern: '^[0-9A-Fa-f]+$', minLength: 22, maxLength: 600, description: 'the telegram as received (hex), with or without its link-layer CRC blocks' },
    rssi: { type: ['integer', 'null'], minimum: -200, maximum: 50, description: 'dBm' },
    time: { type: ['string', 'null'], format: 'date-time', description: 'when the gateway received it (default: now)' },
    frameFormat: { type: ['string', 'null'], enum: ['A', 'B', 'none', null], description: 'the CRCs it carries (default: from its length)' },
  },
};

export function wmbusRoutes(app: FastifyInstance): void {
  const { db } = app.registry;
  app.post('/projects/:projectId/wmbus/telegrams', {
    config: { access: ['Execute.ESB.Device.Read'] }, bodyLimit: BODY_LIMITS.deviceLists,
    schema: {
      tags: ['wireless M-Bus'], summary: 'Telegrams a wM-Bus gateway received (docs/mbus.md, gateway feed); answered once they are on the bus',
      params: projectParams,
      body: {
        type: 'object', additionalProperties: false, required: ['gateway', 'telegrams'],
        properties: { gateway: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,64}$' }, telegrams: { type: 'array', minItems: 1, maxItems: 10000, items: telegram } },
      },
      response: { 202: ref('WmbusIntakeResult'), 503: ref('Error', 'The wM-Bus intake does not run in this process') },
    },
  }, async (req, reply) => {
    const intake = app.wmbus?.();
    if (!intake) return sendError(reply, 503, 'WMBUS_INTAKE_NOT_RUNNING', 'the wM-Bus intake does not run in this process (hes start runs it with the data plane)');
    let message;
    try {
      message = parseGatewayMessage(req.body, 'body');
    } catch (e) {
      if (e instanceof GatewayMessageError) return sendError(reply, 400, 'VALIDATION_ERROR', e.message, e.field);
      throw e;
    }
    return reply.code(202).send(await intake.accept(projectIdOf(req), message));
  });

  app.get('/projects/:projectId/wmbus/unknown-meters', {
    config: { access: ['Read.Devices'] },
    schema: {
      tags: ['wireless M-Bus'], summary: 'Meters the gateways hear that no comm line names yet, most recently heard first: register one with a WMBUS comm line whose address is the one listed',
      params: projectParams,
      querystring: { type: 'object', additionalProperties: false, properties: paging() },
      response: { 200: counted('WmbusUnknownMeter') },
    },
  }, async (req) => {
    const { limit, offset } = req.query as { limit: number; offset: number };
    return { ...(await listUnknownMeters(db, projectIdOf(req), limit, offset)), limit, offset };
  });
}
