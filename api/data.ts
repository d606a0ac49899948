/**
 * Device data (seed 003 §3.4 step 3): a device's measurements as collected — archive, OBIS code, tag
 * (A+/A-/R+/R- by tariff), device time in UTC, value with unit. Reading archives needs Read.Datastore.
 */
import type { FastifyInstance } from 'fastify';
import { MEASUREMENT_ARCHIVES, TAG_PATTERN } from '../scheduler/content.js';
import { measurements, type MeasurementQuery } from '../scheduler/readings.js';
import { projectIdOf, uuid } from './http.js';

export function dataRoutes(app: FastifyInstance): void {
  const { db } = app.registry;
  app.get('/projects/:projectId/devices/:deviceId/measurements', {
    config: { access: ['Read.Datastore'] },
    schema: {
      tags: ['data'],
      summary: 'Measurements of a device (newest first), by archive, tag and device-time range (UTC)',
      params: { type: 'object', required: ['projectId', 'deviceId'], properties: { projectId: uuid, deviceId: uuid } },
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          archive: { type: 'string', enum: MEASUREMENT_ARCHIVES }, tag: { type: 'string', pattern: TAG_PATTERN },
          from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' },
          limit: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 }, offset: { type: 'integer', minimum: 0, default: 0 },
        },
      },
    },
  }, async (req) => {
    const q = req.query as MeasurementQuery;
    const deviceId = (req.params as { deviceId: string }).deviceId;
    return { ...(await measurements(db, projectIdOf(req), deviceId, q)), limit: q.limit, offset: q.offset };
  });
}
