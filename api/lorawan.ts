/**
 * LoRaWAN through ChirpStack v4: the HTTP integration's endpoint (ChirpStack posts every event of an
 * application to one URL with `?event=up|join|status|ack|txack|log|location|integration`; uplinks go the way
 * of the MQTT integration, ingest/chirpstack) and the devices heard but not registered, for installers. The
 * intake runs where the data plane runs (hes start); an API process without it answers 503.
 */
import type { FastifyInstance } from 'fastify';
import type { LorawanIntake } from '../ingest/chirpstack/intake.js';
import { ChirpstackEventError, parseDownlinkEvent, parseJoin, parseStatus, parseUplink } from '../ingest/chirpstack/uplink.js';
import { listUnknownLorawanDevices } from '../registry/lorawan.js';
import { paging, projectIdOf, sendError } from './http.js';
import { projectParams } from './crud-routes.js';
import { counted, ref } from './schemas.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The ChirpStack intake of this process; absent when the API runs without the data plane. */
    lorawan: (() => LorawanIntake | undefined) | undefined;
  }
}

/** The events ChirpStack's HTTP integration posts; `up`, `status`, `join`, `ack`, `txack` and `log` are taken. */
const EVENTS = ['up', 'join', 'status', 'ack', 'txack', 'log', 'location', 'integration'];

export function lorawanRoutes(app: FastifyInstance): void {
  const { db } = app.registry;
  app.post('/projects/:projectId/lorawan/chirpstack', {
    config: { access: ['Execute.ESB.Device.Read'] },
    schema: {
      tags: ['LoRaWAN'],
      summary: "ChirpStack v4 HTTP integration (JSON marshaler): an application's events; an uplink is answered once it is on the bus (docs/lorawan.md)",
      params: projectParams,
      querystring: { type: 'object', additionalProperties: false, required: ['event'], properties: { event: { type: 'string', enum: EVENTS } } },
      body: { type: 'object', additionalProperties: true, description: 'the event as ChirpStack marshals it to JSON (integration.UplinkEvent for up)' },
      response: { 202: ref('LorawanEventResult'), 503: ref('Error', 'The ChirpStack intake does not run in this process') },
    },
  }, async (req, reply) => {
    const { event } = req.query as { event: string };
    const taken = ['up', 'status', 'join', 'ack', 'txack', 'log'].includes(event);
    // A malformed event is the sender's fault (400) whether or not this process runs the intake.
    let parsed;
    try {
      parsed = !taken ? undefined : event === 'up' ? parseUplink(req.body, 'body') : event === 'status' ? parseStatus(req.body, 'body') : event === 'join' ? parseJoin(req.body, 'body')
        : parseDownlinkEvent(event as 'ack' | 'txack' | 'log', req.body, 'body');
    } catch (e) {
      if (e instanceof ChirpstackEventError) {
        app.lorawan?.()?.malformed();
        return sendError(reply, 400, 'VALIDATION_ERROR', e.message, e.field);
      }
      throw e;
    }
    const intake = app.lorawan?.();
    if (!intake) return sendError(reply, 503, 'LORAWAN_INTAKE_NOT_RUNNING', 'the ChirpStack intake does not run in this process (hes start runs it with the data plane)');
    if (!parsed) {
      intake.skipped();
      return reply.code(202).send({ event, outcome: 'ignored' });
    }
    const projectId = projectIdOf(req);
    const outcome = 'fPort' in parsed ? await intake.accept(parsed, 'http', projectId)
      : 'event' in parsed ? await intake.acceptDownlinkEvent(parsed, 'http', projectId)
      : 'devAddr' in parsed ? await intake.acceptJoin(parsed, 'http', projectId) : await intake.acceptStatus(parsed, 'http', projectId);
    return reply.code(202).send({ event, outcome });
  });

  app.get('/projects/:projectId/lorawan/unknown-devices', {
    config: { access: ['Read.Devices'] },
    schema: {
      tags: ['LoRaWAN'],
      summary: "Devices whose uplinks arrive that no comm line names yet, most recently heard first: register one with a comm line on the application's LORAWAN channel whose address is its DevEUI",
      params: projectParams,
      querystring: { type: 'object', additionalProperties: false, properties: paging() },
      response: { 200: counted('LorawanUnknownDevice') },
    },
  }, async (req) => {
    const { limit, offset } = req.query as { limit: number; offset: number };
    return { ...(await listUnknownLorawanDevices(db, projectIdOf(req), limit, offset)), limit, offset };
  });
}
