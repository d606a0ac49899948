/** Device import/export: XLSX template, import (with update), export; JSON full configuration (seed 003 appendix 1). */
import type { FastifyInstance } from 'fastify';
import type { Row } from '../registry/db.js';
import { exportDevices, importDevices, template } from '../registry/device-xlsx.js';
import { exportConfig, importConfig } from '../registry/config-json.js';
import { audit, projectIdOf } from './http.js';
import { projectParams } from './crud-routes.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export function transferRoutes(app: FastifyInstance): void {
  const { db, box } = app.registry;
  app.addContentTypeParser([XLSX, 'application/octet-stream'], { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.get('/projects/:projectId/devices/import-template', {
    config: { access: ['Read.Devices'] },
    schema: { tags: ['import/export'], summary: 'XLSX template with the 12 columns of seed 003 table 6', params: projectParams },
  }, async (_req, reply) => reply.type(XLSX).header('content-disposition', 'attachment; filename="devices-template.xlsx"').send(await template()));

  app.post('/projects/:projectId/devices/import', {
    config: { access: ['Write.Devices', 'Write.ChannelSettings', 'Write.ProtocolSettings', 'Write.DeviceCommline'] },
    schema: {
      tags: ['import/export'], params: projectParams,
      summary: 'Import devices from XLSX (body: the file). All or nothing: on any bad cell, 422 with the workbook marking every bad cell',
      querystring: { type: 'object', additionalProperties: false, properties: { update: { type: 'boolean', default: false } } },
    },
  }, async (req, reply) => {
    if (!Buffer.isBuffer(req.body)) return reply.code(415).send({ error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: `send the file as ${XLSX}`, field: 'body' } });
    const { update } = req.query as { update: boolean };
    let result;
    try {
      result = await importDevices(db, box, projectIdOf(req), req.body, { update });
    } catch (e) {
      req.log.warn({ err: e }, 'unreadable import file');
      return reply.code(400).send({ error: { code: 'UNREADABLE_FILE', message: 'the file is not a readable XLSX workbook', field: 'body' } });
    }
    if (!result.ok) {
      const accept = String(req.headers.accept ?? '');
      if (accept.includes(XLSX)) {
        return reply.code(422).type(XLSX).header('content-disposition', 'attachment; filename="import-errors.xlsx"').header('x-import-errors', String(result.errors.length)).send(result.errorWorkbook);
      }
      return reply.code(422).send({
        error: { code: 'IMPORT_INVALID', message: `${result.errors.length} bad cell(s); nothing was imported`, field: 'body' },
        errors: result.errors, errorWorkbook: result.errorWorkbook?.toString('base64'),
      });
    }
    await audit(req, 'general', 'SET_DEVICE_IMPORT', { update, rows: result.rows, created: result.created, updated: result.updated }, projectIdOf(req));
    const { errorWorkbook: _w, ...summary } = result;
    return summary;
  });

  app.get('/projects/:projectId/devices/export', {
    config: { access: ['Read.Devices', 'Read.ChannelSettings', 'Read.ProtocolSettings', 'Read.DeviceCommline'] },
    schema: { tags: ['import/export'], summary: 'Devices with a TCP channel and a DLMS protocol as XLSX (the import layout; includes protocol passwords)', params: projectParams },
  }, async (req, reply) => reply.type(XLSX).header('content-disposition', 'attachment; filename="devices.xlsx"').send(await exportDevices(db, box, projectIdOf(req))));

  app.get('/projects/:projectId/config', {
    config: { access: ['Read.Devices', 'Read.ChannelSettings', 'Read.ProtocolSettings', 'Read.DeviceCommline'] },
    schema: { tags: ['import/export'], summary: 'Full configuration (channels, protocols, groups, devices, comm lines) in the JSON format of seed 003 appendix 1; includes secrets', params: projectParams },
  }, (req) => exportConfig(db, box, projectIdOf(req)));

  app.post('/projects/:projectId/config', {
    config: { access: ['Write.Devices', 'Write.ChannelSettings', 'Write.ProtocolSettings', 'Write.DeviceCommline'] },
    schema: { tags: ['import/export'], summary: 'Import a JSON configuration (appendix 1): upsert by Id, then by name; all or nothing', params: projectParams, body: { type: 'object' } },
  }, async (req) => {
    const counts = await importConfig(db, box, projectIdOf(req), req.body as Row);
    await audit(req, 'general', 'SET_DEVICE_IMPORT', { format: 'json', ...counts }, projectIdOf(req));
    return counts;
  });
}
