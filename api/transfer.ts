/** Device import/export: XLSX template, import (with update), export; JSON full configuration (seed 003 appendix 1). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Row } from '../registry/db.js';
import { exportDevices, importDevices, template, TooManyRows, type ImportProgress, type ImportResult } from '../registry/device-xlsx.js';
import { exportConfig, importConfig, type SecretsInFile } from '../registry/config-json.js';
import { RegistryError } from '../registry/errors.js';
import { PASSPHRASE_HEADER, SECRET_PLACEHOLDER, TRANSPORT_KEY_HEADER, checkPassphrase, isSealed, openSealed, sealFile, transportKey } from '../registry/secret-transport.js';
import { audit, BODY_LIMITS, projectIdOf, uuid } from './http.js';
import { projectParams } from './crud-routes.js';
import { ERRORS_SHOWN, ImportJobs, type ImportJob } from './import-jobs.js';
import { download, ref } from './schemas.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
/** Data rows the synchronous import accepts (its answer waits for the whole file); bigger files go to import jobs. */
export const IMPORT_SYNC_MAX_ROWS = 10_000;

const secretsQuery = {
  type: 'object', additionalProperties: false,
  properties: {
    secrets: {
      type: 'string', enum: ['placeholder', 'include'], default: 'placeholder',
      description: `placeholder: each secret set is marked, not written (a re-import keeps the stored one); include: needs Export.Secrets and the ${TRANSPORT_KEY_HEADER} header (secrets wrapped under it) or, for the JSON configuration, ${PASSPHRASE_HEADER} (the whole file sealed); audited`,
    },
  },
} as const;
const secretHeaders = {
  type: 'object',
  properties: {
    [TRANSPORT_KEY_HEADER]: { type: 'string', description: 'AES-256 transport key, 64 hex digits: secrets are exported wrapped under it (RFC 3394 / RFC 5649), and wrapped secrets of an imported file are unwrapped with it' },
    [PASSPHRASE_HEADER]: { type: 'string', description: 'JSON configuration only: the passphrase the whole file is sealed with (scrypt + AES-256-GCM), on export and import' },
  },
} as const;
const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * What an export does with secrets. Placeholders unless the request asks for them; then the caller needs
 * Export.Secrets (a refusal is a security event) and a transport key, or a passphrase for a sealed JSON file.
 */
async function exportedSecrets(req: FastifyRequest, format: 'json' | 'xlsx'): Promise<{ mode: SecretsInFile; passphrase?: string }> {
  if ((req.query as { secrets?: string }).secrets !== 'include') return { mode: { kind: 'placeholder' } };
  if (!req.identity?.permissions.has('Export.Secrets')) {
    await audit(req, 'security', 'SSET_SECRETS_EXPORT_REFUSED', { format }, projectIdOf(req), 'warning');
    throw new RegistryError('FORBIDDEN', 'permission required: Export.Secrets', 403, 'querystring.secrets');
  }
  const key = header(req, TRANSPORT_KEY_HEADER);
  const passphrase = header(req, PASSPHRASE_HEADER);
  if (key !== undefined && passphrase !== undefined) throw new RegistryError('VALIDATION_ERROR', `send ${TRANSPORT_KEY_HEADER} or ${PASSPHRASE_HEADER}, not both`, 400, `headers.${PASSPHRASE_HEADER}`);
  if (key !== undefined) return { mode: { kind: 'wrap', key: transportKey(key) } };
  if (passphrase !== undefined && format === 'json') return { mode: { kind: 'clear' }, passphrase: checkPassphrase(passphrase) };
  throw new RegistryError('TRANSPORT_KEY_REQUIRED', `secrets leave only wrapped: send ${TRANSPORT_KEY_HEADER}${format === 'json' ? ` or ${PASSPHRASE_HEADER}` : ''}`, 400, `headers.${TRANSPORT_KEY_HEADER}`);
}

/** Secrets that left: who (the event's user) and how many. */
const auditSecretExport = (req: FastifyRequest, format: 'json' | 'xlsx', protection: 'key-wrap' | 'passphrase', secrets: number) =>
  audit(req, 'security', 'SSET_SECRETS_EXPORT', { format, protection, secrets }, projectIdOf(req), 'warning');

/** The transport key of an import, when the request gives one (needed only if the file holds wrapped secrets). */
const importKey = (req: FastifyRequest): Buffer | undefined => {
  const key = header(req, TRANSPORT_KEY_HEADER);
  return key === undefined ? undefined : transportKey(key);
};

export function transferRoutes(app: FastifyInstance): void {
  const { db, box } = app.registry;
  // The upload is kept as one buffer (a 100,000-device file is ~6 MB): it is read twice when bad cells are marked.
  app.addContentTypeParser([XLSX, 'application/octet-stream'], { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.get('/projects/:projectId/devices/import-template', {
    config: { access: ['Read.Devices'] },
    schema: { tags: ['import/export'], summary: 'XLSX template with the 12 columns of seed 003 table 6', params: projectParams,
      response: { 200: download(XLSX, 'The template workbook') },
    },
  }, async (_req, reply) => reply.type(XLSX).header('content-disposition', 'attachment; filename="devices-template.xlsx"').send(await template()));

  /** Runs an import; a file exceljs cannot read is UNREADABLE_FILE (400), registry errors propagate. */
  const runImport = async (req: FastifyRequest, update: boolean, onProgress?: (p: Readonly<ImportProgress>) => void, maxRows?: number): Promise<ImportResult> => {
    if (!Buffer.isBuffer(req.body)) throw new RegistryError('UNSUPPORTED_MEDIA_TYPE', `send the file as ${XLSX}`, 415, 'body');
    const transportKey = importKey(req);
    let phase = 'reading';
    try {
      return await importDevices(db, box, projectIdOf(req), req.body, {
        update, transportKey, maxRows,
        onProgress: (p) => {
          phase = p.phase;
          onProgress?.(p);
        },
      });
    } catch (e) {
      if (e instanceof TooManyRows) {
        throw new RegistryError('IMPORT_TOO_MANY_ROWS',
          `the file has more than ${e.maxRows} rows, the limit of this route; import it with POST /api/v1/projects/${projectIdOf(req)}/devices/import-jobs`, 413, 'body');
      }
      if (phase !== 'reading') throw e;
      req.log.warn({ err: e }, 'unreadable import file');
      throw new RegistryError('UNREADABLE_FILE', 'the file is not a readable XLSX workbook', 400, 'body');
    }
  };
  const imported = (req: FastifyRequest, update: boolean, result: ImportResult) =>
    audit(req, 'general', 'SET_DEVICE_IMPORT', { update, rows: result.rows, created: result.created, updated: result.updated, unchanged: result.unchanged }, projectIdOf(req));
  const importAccess = ['Write.Devices', 'Write.ChannelSettings', 'Write.ProtocolSettings', 'Write.DeviceCommline'];
  const updateQuery = { type: 'object', additionalProperties: false, properties: { update: { type: 'boolean', default: false } } };

  app.post('/projects/:projectId/devices/import', {
    config: { access: importAccess }, bodyLimit: BODY_LIMITS.xlsxImport,
    schema: {
      tags: ['import/export'], params: projectParams, querystring: updateQuery, headers: { type: 'object', properties: { [TRANSPORT_KEY_HEADER]: secretHeaders.properties[TRANSPORT_KEY_HEADER] } },
      summary: `Import devices from XLSX (body: the file, at most ${IMPORT_SYNC_MAX_ROWS.toLocaleString('en')} rows: 413 IMPORT_TOO_MANY_ROWS beyond, use import jobs) and answer when done. All or nothing: on any bad cell, 422 with the workbook marking every bad cell`,
      response: {
        200: ref('ImportSummary', 'Imported'),
        422: {
          description: 'Bad cells, nothing imported: JSON, or the marked workbook itself when the request accepts XLSX (X-Import-Errors: count)',
          content: { 'application/json': { schema: ref('ImportInvalid') }, [XLSX]: { schema: { type: 'string', format: 'binary' } } },
        },
      },
    },
  }, async (req, reply) => {
    const { update } = req.query as { update: boolean };
    const result = await runImport(req, update, undefined, IMPORT_SYNC_MAX_ROWS);
    if (!result.ok) {
      const accept = String(req.headers.accept ?? '');
      if (accept.includes(XLSX)) {
        return reply.code(422).type(XLSX).header('content-disposition', 'attachment; filename="import-errors.xlsx"').header('x-import-errors', String(result.errors.length)).send(result.errorWorkbook);
      }
      return reply.code(422).send({
        error: { code: 'IMPORT_INVALID', message: `${result.errors.length} bad cell(s); nothing was imported`, field: 'body' },
        errorCount: result.errors.length, errors: result.errors.slice(0, ERRORS_SHOWN), errorWorkbook: result.errorWorkbook?.toString('base64'),
      });
    }
    await imported(req, update, result);
    return result;
  });

  const jobs = new ImportJobs();
  app.addHook('onClose', () => jobs.settle());
  const jobParams = { type: 'object', required: ['projectId', 'jobId'], properties: { projectId: uuid, jobId: uuid } } as const;
  const present = (job: ImportJob) => {
    const { errorWorkbook: marked, ...rest } = job;
    return marked ? { ...rest, errorWorkbookUrl: `/api/v1/projects/${job.projectId}/devices/import-jobs/${job.id}/error-workbook` } : rest;
  };

  app.post('/projects/:projectId/devices/import-jobs', {
    config: { access: importAccess }, bodyLimit: BODY_LIMITS.bulkImport,
    schema: {
      tags: ['import/export'], params: projectParams, querystring: updateQuery, headers: { type: 'object', properties: { [TRANSPORT_KEY_HEADER]: secretHeaders.properties[TRANSPORT_KEY_HEADER] } },
      summary: 'Start importing devices from XLSX (body: the file) in the background; answers 202 with the job to poll. One running import per project (409 IMPORT_RUNNING)',
      response: { 202: ref('ImportJob', 'Started; Location names the job') },
    },
  }, async (req, reply) => {
    if (!Buffer.isBuffer(req.body)) throw new RegistryError('UNSUPPORTED_MEDIA_TYPE', `send the file as ${XLSX}`, 415, 'body');
    const { update } = req.query as { update: boolean };
    const job = jobs.start(projectIdOf(req), update, async (j) => {
      const result = await runImport(req, update, (p) => (j.progress = { ...p }));
      if (result.ok) {
        await imported(req, update, result);
        j.result = { rows: result.rows, created: result.created, updated: result.updated, unchanged: result.unchanged };
        j.state = 'succeeded';
      } else {
        j.errorCount = result.errors.length;
        j.errors = result.errors.slice(0, ERRORS_SHOWN);
        j.errorWorkbook = result.errorWorkbook;
        j.state = 'invalid';
      }
    });
    return reply.code(202).header('location', `/api/v1/projects/${job.projectId}/devices/import-jobs/${job.id}`).send(present(job));
  });

  app.get('/projects/:projectId/devices/import-jobs/:jobId', {
    config: { access: importAccess },
    schema: { tags: ['import/export'], params: jobParams, summary: 'Progress and outcome of an import job (kept for an hour after it ends)', response: { 200: ref('ImportJob') } },
  }, (req) => present(jobs.get(projectIdOf(req), (req.params as { jobId: string }).jobId)));

  app.get('/projects/:projectId/devices/import-jobs/:jobId/error-workbook', {
    config: { access: importAccess },
    schema: { tags: ['import/export'], params: jobParams, summary: 'The uploaded workbook with every bad cell marked (jobs in state "invalid")',
      response: { 200: download(XLSX, 'The marked workbook') },
    },
  }, async (req, reply) => {
    const job = jobs.get(projectIdOf(req), (req.params as { jobId: string }).jobId);
    if (!job.errorWorkbook) throw new RegistryError('NOT_FOUND', 'this import job has no error workbook', 404);
    return reply.type(XLSX).header('content-disposition', 'attachment; filename="import-errors.xlsx"').send(job.errorWorkbook);
  });

  app.get('/projects/:projectId/devices/export', {
    config: { access: ['Read.Devices', 'Read.ChannelSettings', 'Read.ProtocolSettings', 'Read.DeviceCommline'] },
    schema: {
      tags: ['import/export'], params: projectParams, querystring: secretsQuery, headers: secretHeaders,
      summary: `Devices with a TCP channel and a DLMS protocol as XLSX (the import layout plus the comm line and protocol columns); secrets as the placeholder ${SECRET_PLACEHOLDER} unless asked for (then wrapped)`,
      response: { 200: download(XLSX, 'The devices workbook') },
    },
  }, async (req, reply) => {
    const { mode } = await exportedSecrets(req, 'xlsx');
    const { xlsx, secrets } = await exportDevices(db, box, projectIdOf(req), mode.kind === 'wrap' ? mode : { kind: 'placeholder' });
    if (mode.kind === 'wrap') await auditSecretExport(req, 'xlsx', 'key-wrap', secrets);
    return reply.type(XLSX).header('content-disposition', 'attachment; filename="devices.xlsx"').send(xlsx);
  });

  app.get('/projects/:projectId/config', {
    config: { access: ['Read.Devices', 'Read.ChannelSettings', 'Read.ProtocolSettings', 'Read.DeviceCommline'] },
    schema: {
      tags: ['import/export'], params: projectParams, querystring: secretsQuery, headers: secretHeaders,
      summary: 'Full configuration (channels, protocols, groups, devices, comm lines) in the JSON format of seed 003 appendix 1; secrets as placeholders unless asked for (then wrapped, or the file sealed)',
      response: { 200: { anyOf: [ref('Configuration'), ref('SealedConfiguration')] } },
    },
  }, async (req) => {
    const { mode, passphrase } = await exportedSecrets(req, 'json');
    const { doc, secrets } = await exportConfig(db, box, projectIdOf(req), { secrets: mode });
    if (mode.kind === 'placeholder') return doc;
    await auditSecretExport(req, 'json', passphrase === undefined ? 'key-wrap' : 'passphrase', secrets);
    return passphrase === undefined ? doc : sealFile(passphrase, doc);
  });

  app.post('/projects/:projectId/config', {
    config: { access: ['Write.Devices', 'Write.ChannelSettings', 'Write.ProtocolSettings', 'Write.DeviceCommline'] }, bodyLimit: BODY_LIMITS.bulkImport,
    schema: {
      tags: ['import/export'], params: projectParams, body: { type: 'object' }, headers: secretHeaders,
      summary: 'Import a JSON configuration (appendix 1, or a sealed one with its passphrase): upsert by Id, then by name; placeholders keep stored secrets, wrapped ones need the transport key; device profiles the installation lacks are added (needs Write.HesConfig); all or nothing',
      response: { 200: ref('ConfigImport', 'Imported') },
    },
  }, async (req) => {
    const body = isSealed(req.body) ? openSealed(req.body, header(req, PASSPHRASE_HEADER)) : req.body;
    const counts = await importConfig(db, box, projectIdOf(req), body as Row, {
      transportKey: importKey(req), profiles: { by: req.identity?.username ?? null, mayWrite: req.identity?.permissions.has('Write.HesConfig') ?? false },
    });
    await audit(req, 'general', 'SET_DEVICE_IMPORT', { format: 'json', ...counts }, projectIdOf(req));
    return counts;
  });
}
