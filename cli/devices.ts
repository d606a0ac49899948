/**
 * `hes devices import|export|template|config-export|config-import`: the XLSX and JSON transfer utilities
 * of the API, run directly against the registry by an administrator.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { openRegistry } from '../registry/open.js';
import { exportDevices, importDevices, template } from '../registry/device-xlsx.js';
import { exportConfig, importConfig } from '../registry/config-json.js';
import { recordEvent } from '../registry/events.js';
import { RegistryError } from '../registry/errors.js';
import { transportKey } from '../registry/secret-transport.js';
import { parse, configFrom, registryHelp } from './options.js';

const usage = [
  'usage: hes devices <action> --project ID [options]',
  '  template FILE.xlsx            write the import template',
  '  import FILE.xlsx [--update]   import devices; on bad cells writes FILE.errors.xlsx and imports nothing',
  '  export FILE.xlsx              export devices with a TCP channel and a DLMS protocol, secrets as placeholders',
  '  config-export FILE.json       full configuration (seed 003 appendix 1), secrets as placeholders',
  '  config-import FILE.json       import a full configuration',
  '  --transport-key-file KEYFILE  export: secrets wrapped under the AES-256 key in KEYFILE (64 hex digits),',
  '                                audited; import: unwraps them (without it exports carry placeholders)',
  ...registryHelp, '',
].join('\n');

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { project: { type: 'string' }, update: { type: 'boolean' }, 'transport-key-file': { type: 'string' } });
  const [action, file] = positionals;
  if (values.help || !action || !file) {
    process.stdout.write(usage);
    return values.help ? 0 : 2;
  }
  if (action === 'template') {
    writeFileSync(file, await template());
    return 0;
  }
  const projectId = values.project as string | undefined;
  if (!projectId) {
    process.stderr.write('hes devices: --project ID is required\n');
    return 2;
  }
  const { db, box } = await openRegistry(configFrom(values));
  const audit = (params: Record<string, unknown>) => recordEvent(db, { category: 'general', code: 'SET_DEVICE_IMPORT', projectId, username: 'cli', params });
  const auditSecrets = (format: string, secrets: number) => recordEvent(db, {
    category: 'security', code: 'SSET_SECRETS_EXPORT', level: 'warning', projectId, username: 'cli', params: { format, protection: 'key-wrap', secrets },
  });
  try {
    // The key comes from a file, never the command line (visible to every user of the host).
    const keyFile = values['transport-key-file'] as string | undefined;
    const key = keyFile === undefined ? undefined : transportKey(readFileSync(keyFile, 'utf8').trim());
    switch (action) {
      case 'import': {
        const r = await importDevices(db, box, projectId, readFileSync(file), {
          update: !!values.update, transportKey: key,
          onProgress: (p) => process.stderr.write(p.phase === 'writing' ? `\rimported ${p.devicesWritten}/${p.devicesToWrite}` : `\r${p.phase}: ${p.rowsRead} rows`),
        });
        if (!r.ok) {
          const out = file.replace(/\.xlsx$/i, '') + '.errors.xlsx';
          writeFileSync(out, r.errorWorkbook!);
          for (const e of r.errors.slice(0, 20)) process.stderr.write(`row ${e.row}, column ${e.column}: ${e.message}\n`);
          process.stderr.write(`${r.errors.length} bad cell(s), nothing imported; marked workbook: ${out}\n`);
          return 1;
        }
        await audit({ update: !!values.update, rows: r.rows, created: r.created, updated: r.updated, unchanged: r.unchanged });
        process.stdout.write(`\n${JSON.stringify({ created: r.created, updated: r.updated, unchanged: r.unchanged })}\n`);
        return 0;
      }
      case 'export': {
        const { xlsx, secrets } = await exportDevices(db, box, projectId, key ? { kind: 'wrap', key } : undefined);
        if (key) await auditSecrets('xlsx', secrets);
        writeFileSync(file, xlsx);
        return 0;
      }
      case 'config-export': {
        const { doc, secrets } = await exportConfig(db, box, projectId, { secrets: key ? { kind: 'wrap', key } : undefined });
        if (key) await auditSecrets('json', secrets);
        writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
        return 0;
      }
      case 'config-import': {
        const counts = await importConfig(db, box, projectId, JSON.parse(readFileSync(file, 'utf8')), { transportKey: key, profiles: { by: 'cli', mayWrite: true } });
        await audit({ format: 'json', ...counts });
        process.stdout.write(JSON.stringify(counts) + '\n');
        return 0;
      }
      default:
        process.stderr.write(usage);
        return 2;
    }
  } catch (e) {
    if (e instanceof RegistryError) {
      // The API's transport-key header is this command's --transport-key-file.
      process.stderr.write(`hes devices: ${e.message}${e.field === 'headers.x-transport-key' ? ' (here: --transport-key-file)' : ''}\n`);
      return 1;
    }
    throw e;
  } finally {
    await db.close();
  }
}
