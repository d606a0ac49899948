/**
 * XLSX device import/export (seed 003 §2.2.34–35, table 6): TCP channels, DLMS protocols, CE207/CE307/
 * CE208/CE308 devices. Every cell is validated first; the import is all-or-nothing, and on failure an
 * error workbook marks each bad cell (red fill, a note with the reason, and an "Ошибка" column per row).
 * Import-with-update identifies channels, protocols and groups by name and devices by serial + type.
 * The export adds optional columns after table 6's (protocol keys and settings, the comm line's address,
 * profile, protocol map, priority and attempts) so that a project's export imports unchanged; secrets are
 * written as placeholders or wrapped (registry/secret-transport.ts), never in clear.
 */
import { PassThrough, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import type { Db } from './db.js';
import type { SecretBox } from './crypto.js';
import { RegistryError } from './errors.js';
import { ProtocolStore, channelSettings } from './project-data.js';
import { exportSecret, importSecret, type SecretExport } from './secret-transport.js';
import { PROTOCOL_SECRETS, PROTOCOL_SETTINGS, withDefaults } from './settings.js';
import { checkSettings } from './settings-check.js';

export const COLUMNS = [
  { key: 'channelName', ru: 'канал связи имя', en: 'channel name' },
  { key: 'channelType', ru: 'канал связи тип', en: 'channel type' },
  { key: 'ip', ru: 'адрес ip', en: 'ip address' },
  { key: 'port', ru: 'порт ip', en: 'ip port' },
  { key: 'protocolName', ru: 'протокол имя', en: 'protocol name' },
  { key: 'protocolType', ru: 'протокол тип', en: 'protocol type' },
  { key: 'protocolAddress', ru: 'протокол адрес', en: 'protocol address' },
  { key: 'protocolPassword', ru: 'протокол пароль', en: 'protocol password' },
  { key: 'protocolTimeout', ru: 'протокол тайм аут', en: 'protocol timeout' },
  { key: 'groupName', ru: 'группа имя', en: 'group name' },
  { key: 'deviceType', ru: 'тип устройства', en: 'device type' },
  { key: 'serialNumber', ru: 'серийный номер устройства', en: 'device serial number' },
] as const;
type Key = (typeof COLUMNS)[number]['key'];

/** Columns after table 6's: written by the export, read by the import when present (an empty cell: the default, or what is stored). */
export const EXTRA_COLUMNS = [
  { key: 'protocolKeys', ru: 'протокол ключи', en: 'protocol keys' },
  { key: 'protocolSettings', ru: 'протокол параметры', en: 'protocol settings' },
  { key: 'lineAddress', ru: 'линия связи адрес', en: 'comm line address' },
  { key: 'lineProfile', ru: 'линия связи профиль', en: 'comm line profile' },
  { key: 'lineProtocolMap', ru: 'линия связи карта протокола', en: 'comm line protocol map' },
  { key: 'linePriority', ru: 'линия связи приоритет', en: 'comm line priority' },
  { key: 'lineAttempts', ru: 'линия связи попытки', en: 'comm line attempts' },
] as const;
type ExtraKey = (typeof EXTRA_COLUMNS)[number]['key'];

/** DLMS settings with their own columns: the rest travel in "protocol settings", the secrets in the password and "protocol keys". */
const OWN_COLUMN = new Set<string>(['physicalServer', 'waitTime', ...PROTOCOL_SECRETS]);
const KEY_SECRETS = PROTOCOL_SECRETS.filter((k) => k !== 'password');

export interface ImportRow {
  /** Worksheet row (1-based). */
  row: number;
  channelName: string; ip: string; port: number; protocolName: string; protocolAddress: number;
  protocolTimeout: number; groupName: string; deviceType: string; serialNumber: string;
  /** The password and keys the row sets (unwrapped); one left out keeps what is stored (the placeholder, an empty cell). */
  protocolSecrets: Record<string, string>;
  /** Other DLMS settings when the row gives them. */
  protocolSettings?: Record<string, unknown>;
  /** The comm line's fields the row gives. */
  line: { address?: string; profileId?: string; protocolMap?: string; priority?: number; attempts?: number };
}

export interface CellError {
  /** 1-based worksheet row and column. */
  row: number;
  column: number;
  message: string;
}

export interface ImportResult {
  ok: boolean;
  rows: number;
  created: { devices: number; channels: number; protocols: number; groups: number; commLines: number };
  updated: { devices: number; channels: number; protocols: number };
  /** Rows the file names as they already are (import with update). */
  unchanged: { devices: number; channels: number; protocols: number };
  errors: CellError[];
  /** The marked workbook when !ok. */
  errorWorkbook?: Buffer;
}

const TYPES = ['CE207', 'CE307', 'CE208', 'CE308'];

/** Cyrillic С/Е and "SE" spellings of the seed ("se208") become CE208. */
export function normalizeDeviceType(text: string): string {
  return text.trim().replace(/[Сс]/g, 'C').replace(/[Ее]/g, 'E').toUpperCase().replace(/^SE/, 'CE');
}

function cellText(v: ExcelJS.CellValue | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') {
    if (v instanceof Date) return v.toISOString();
    if ('richText' in v) return v.richText.map((r) => r.text).join('');
    if ('text' in v) return String(v.text);
    if ('result' in v) return String(v.result ?? '');
    return '';
  }
  return String(v);
}

export async function template(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Devices');
  ws.addRow(COLUMNS.map((c) => c.ru));
  ws.getRow(1).font = { bold: true };
  ws.columns.forEach((c) => (c.width = 22));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/**
 * The workbook's parts in the order exceljs' streaming reader needs: everything before the worksheets. Given a
 * sheet before the shared strings or xl/workbook.xml (as exceljs and Excel write them), the reader parks the
 * sheet in a temporary file and, now and then, parses it without the shared strings (every text cell lost) or
 * throws on the missing sheet list. Parts are stored uncompressed: no deflate cost, only the inflate of reading.
 */
async function readerOrder(xlsx: Buffer): Promise<Buffer> {
  const zip = await JSZip.loadAsync(xlsx);
  const sheet = (name: string) => (name.startsWith('xl/worksheets/') ? 1 : 0);
  const names = Object.keys(zip.files).filter((n) => !zip.files[n].dir).sort((a, b) => sheet(a) - sheet(b));
  const out = new JSZip();
  for (const n of names) out.file(n, await zip.files[n].async('nodebuffer'));
  return out.generateAsync({ type: 'nodebuffer', compression: 'STORE' });
}

/** Streams the first worksheet as trimmed text cells, one row at a time (exceljs' streaming reader: no object model of the workbook). */
async function* sheetRows(xlsx: Buffer): AsyncGenerator<{ number: number; cells: string[] }> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([await readerOrder(xlsx)]), { worksheets: 'emit', sharedStrings: 'cache', styles: 'ignore', hyperlinks: 'ignore' });
  for await (const sheet of reader) {
    for await (const row of sheet as AsyncIterable<ExcelJS.Row>) {
      const values = row.values as ExcelJS.CellValue[];
      const cells: string[] = [];
      for (let i = 1; i < values.length; i++) cells.push(cellText(values[i]).trim());
      yield { number: row.number, cells };
    }
    break; // only the first worksheet counts
  }
}

const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function intIn(text: string, min: number, max: number): number | string {
  if (!/^\d+$/.test(text)) return `must be a whole number from ${min} to ${max}`;
  const n = Number(text);
  return n < min || n > max ? `must be from ${min} to ${max}` : n;
}

/**
 * Validates rows as they stream in (row 1 is the header): keeps the parsed rows and every cell error,
 * never the sheet itself. Empty rows count as errors only when a data row follows them.
 */
export class SheetValidator {
  readonly rows: ImportRow[] = [];
  readonly errors: CellError[] = [];
  readonly columnOf = {} as Record<Key, number>;
  /** Optional columns found in the header (absent: not in the map). */
  readonly extraOf = new Map<ExtraKey, number>();
  /** Cells in the widest row: the error workbook puts its reason column after them. */
  width: number = COLUMNS.length;
  private header?: boolean;
  private lastRow = 1;
  private emptyRows: number[] = [];
  private readonly seen = new Map<string, number>();
  private readonly channels = new Map<string, { row: number; ip: string; port: string }>();
  private readonly protocols = new Map<string, { row: number; address: string; password: string; timeout: string; keys: string; settings: string }>();

  /** `transportKey` unwraps wrapped secrets (a wrapped cell without it, or with the wrong one, is a bad cell). */
  constructor(private readonly transportKey?: Buffer) {}

  add(number: number, cells: string[]): void {
    this.width = Math.max(this.width, cells.length);
    if (this.header === undefined) this.readHeader(number === 1 ? cells : []);
    if (number === 1 || !this.header) return;
    for (let r = this.lastRow + 1; r < number; r++) this.emptyRows.push(r);
    this.lastRow = number;
    if (cells.every((c) => !c)) {
      this.emptyRows.push(number);
      return;
    }
    for (const r of this.emptyRows) this.errors.push({ row: r, column: 1, message: 'empty row inside the data' });
    this.emptyRows = [];
    this.readRow(number, cells);
  }

  /** Call after the last row. */
  finish(): void {
    if (this.header === undefined) this.readHeader([]);
    if (this.header && !this.rows.length) this.errors.push({ row: 2, column: 1, message: 'the file has no devices' });
  }

  private readHeader(cells: string[]): void {
    const header = cells.map((h) => h.toLowerCase().replace(/\s+/g, ' '));
    COLUMNS.forEach((c, i) => {
      const at = header.findIndex((h) => h === c.ru || h === c.en);
      this.columnOf[c.key] = at >= 0 ? at : i;
      if (at < 0) this.errors.push({ row: 1, column: i + 1, message: `missing column "${c.ru}"` });
    });
    for (const c of EXTRA_COLUMNS) {
      const at = header.findIndex((h) => h === c.ru || h === c.en);
      if (at >= 0) this.extraOf.set(c.key, at);
    }
    this.header = !this.errors.length;
  }

  private readRow(row: number, cells: string[]): void {
    const get = (k: Key) => cells[this.columnOf[k]] ?? '';
    const bad = (k: Key, message: string) => this.errors.push({ row, column: this.columnOf[k] + 1, message });
    for (const k of ['channelName', 'protocolName', 'groupName', 'serialNumber'] as const) {
      const v = get(k);
      if (v.length < 1 || v.length > 100) bad(k, 'must have 1 to 100 characters');
    }
    const extra = (k: ExtraKey) => (this.extraOf.has(k) ? cells[this.extraOf.get(k)!] ?? '' : '');
    const badExtra = (k: ExtraKey, message: string) => this.errors.push({ row, column: this.extraOf.get(k)! + 1, message });
    /** A secret's cell text: the placeholder keeps the stored value, a wrapped one is unwrapped, else the text is the value. */
    const secret = (text: string, what: string, onError: (m: string) => void): string | undefined => {
      try {
        return importSecret(text, this.transportKey, what);
      } catch (e) {
        if (!(e instanceof RegistryError)) throw e;
        onError(e.message);
        return undefined;
      }
    };
    const protocolSecrets: Record<string, string> = {};
    if (get('protocolPassword')) {
      const pw = secret(get('protocolPassword'), 'the password', (m) => bad('protocolPassword', m));
      if (pw !== undefined && (pw.length < 1 || pw.length > 100)) bad('protocolPassword', 'must have 1 to 100 characters');
      else if (pw !== undefined) protocolSecrets.password = pw;
    }
    const json = (k: ExtraKey): Record<string, unknown> | undefined => {
      const text = extra(k);
      if (!text) return undefined;
      try {
        const v = JSON.parse(text) as unknown;
        if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
      } catch {
        // reported below
      }
      badExtra(k, 'must be a JSON object such as {"name": value}');
      return undefined;
    };
    for (const [name, text] of Object.entries(json('protocolKeys') ?? {})) {
      if (!(KEY_SECRETS as readonly string[]).includes(name) || typeof text !== 'string') {
        badExtra('protocolKeys', `${name} is not one of ${KEY_SECRETS.join(', ')} with a text value`);
        continue;
      }
      const key = secret(text, name, (m) => badExtra('protocolKeys', m));
      if (key !== undefined && !/^[0-9A-Fa-f]{32}$/.test(key)) badExtra('protocolKeys', `${name} must be 32 hex digits`);
      else if (key !== undefined) protocolSecrets[name] = key;
    }
    const protocolSettings = json('protocolSettings');
    if (protocolSettings) {
      const own = Object.keys(protocolSettings).filter((k) => OWN_COLUMN.has(k));
      try {
        if (own.length) throw new RegistryError('VALIDATION_ERROR', `${own.join(', ')} have their own columns`);
        checkSettings(PROTOCOL_SETTINGS.DLMS, protocolSettings, 'settings');
      } catch (e) {
        if (!(e instanceof RegistryError)) throw e;
        badExtra('protocolSettings', e.message);
      }
    }
    const line: ImportRow['line'] = {};
    if (extra('lineAddress')) line.address = extra('lineAddress');
    for (const [k, field] of [['lineProfile', 'profileId'], ['lineProtocolMap', 'protocolMap']] as const) {
      const v = extra(k);
      if (v.length > 100) badExtra(k, 'must have at most 100 characters');
      else if (v) line[field] = v;
    }
    for (const [k, field, min, max] of [['linePriority', 'priority', 0, 999], ['lineAttempts', 'attempts', 1, 100]] as const) {
      if (!extra(k)) continue;
      const n = intIn(extra(k), min, max);
      if (typeof n === 'string') badExtra(k, n);
      else line[field] = n;
    }
    if (!/^tcp(\/ip)?$/i.test(get('channelType'))) bad('channelType', 'must be TCP');
    if (!/^dlms$/i.test(get('protocolType'))) bad('protocolType', 'must be DLMS');
    if (!ipv4.test(get('ip'))) bad('ip', 'must be an IPv4 address such as 10.0.0.1');
    const port = intIn(get('port'), 1, 65535);
    if (typeof port === 'string') bad('port', port);
    const address = intIn(get('protocolAddress'), 0, 65535);
    if (typeof address === 'string') bad('protocolAddress', address);
    const timeout = intIn(get('protocolTimeout'), 1, 65535);
    if (typeof timeout === 'string') bad('protocolTimeout', timeout);
    const type = normalizeDeviceType(get('deviceType'));
    if (!TYPES.includes(type)) bad('deviceType', `must be one of ${TYPES.join(', ')}`);
    const deviceKey = `${get('serialNumber')}\u0000${type}`;
    const dup = this.seen.get(deviceKey);
    if (dup !== undefined) bad('serialNumber', `the same device is already in row ${dup}`);
    else this.seen.set(deviceKey, row);
    // Rows naming the same channel or protocol must describe it the same way.
    const ch = { row, ip: get('ip'), port: get('port') };
    const prevCh = this.channels.get(get('channelName').toLowerCase());
    if (!prevCh) this.channels.set(get('channelName').toLowerCase(), ch);
    else {
      const same = `must be the same in every row of channel "${get('channelName')}" (see row ${prevCh.row})`;
      if (prevCh.ip !== ch.ip) bad('ip', same);
      if (prevCh.port !== ch.port) bad('port', same);
    }
    const pr = { row, address: get('protocolAddress'), password: get('protocolPassword'), timeout: get('protocolTimeout'), keys: extra('protocolKeys'), settings: extra('protocolSettings') };
    const prevPr = this.protocols.get(get('protocolName').toLowerCase());
    if (!prevPr) this.protocols.set(get('protocolName').toLowerCase(), pr);
    else {
      const same = `must be the same in every row of protocol "${get('protocolName')}" (see row ${prevPr.row})`;
      if (prevPr.address !== pr.address) bad('protocolAddress', same);
      if (prevPr.password !== pr.password) bad('protocolPassword', same);
      if (prevPr.timeout !== pr.timeout) bad('protocolTimeout', same);
      if (prevPr.keys !== pr.keys) badExtra('protocolKeys', same);
      if (prevPr.settings !== pr.settings) badExtra('protocolSettings', same);
    }
    this.rows.push({
      row, channelName: get('channelName'), ip: get('ip'), port: port as number, protocolName: get('protocolName'), protocolAddress: address as number,
      protocolTimeout: timeout as number, groupName: get('groupName'), deviceType: type, serialNumber: get('serialNumber'), protocolSecrets, protocolSettings, line,
    });
  }
}

/**
 * The uploaded sheet with each bad cell filled red, its reason as a note, and all reasons of a row in an
 * extra column after `width` cells. Reads the upload a second time and writes with exceljs' streaming
 * writer, so a 100,000-row file with a few bad cells never becomes an in-memory workbook.
 */
export async function errorWorkbook(xlsx: Buffer, errors: CellError[], width: number): Promise<Buffer> {
  const out = new PassThrough();
  const bytes = buffer(out);
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const ws = wb.addWorksheet('Ошибки импорта');
  const errCol = width + 1;
  const byRow = new Map<number, CellError[]>();
  for (const e of errors) byRow.set(e.row, [...(byRow.get(e.row) ?? []), e]);
  const reasons = (row: number) => (byRow.get(row) ?? []).map((e) => `${COLUMNS[e.column - 1]?.ru ?? `column ${e.column}`}: ${e.message}`);
  let next = 1;
  const write = (number: number, cells: string[]) => {
    const row = ws.getRow(number);
    cells.forEach((v, i) => {
      if (v) row.getCell(i + 1).value = v;
    });
    for (const e of byRow.get(number) ?? []) {
      const cell = row.getCell(e.column);
      cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFF9999' } };
      cell.note = cell.note ? `${String(cell.note)}; ${e.message}` : e.message;
    }
    // Header problems are explained in the first data row's reason column.
    const text = number === 1 ? 'Ошибка' : [...(number === 2 ? reasons(1) : []), ...reasons(number)].join('; ');
    if (text) row.getCell(errCol).value = text;
    if (number === 1) row.getCell(errCol).font = { bold: true };
    row.commit();
    next = number + 1;
  };
  for await (const { number, cells } of sheetRows(xlsx)) write(number, number === 1 || cells.length ? cells : ['']);
  if (next === 1) write(1, COLUMNS.map((c) => c.ru));
  if (next === 2 && byRow.has(1)) write(2, []);
  ws.commit();
  await wb.commit();
  return bytes;
}

/** The file holds more data rows than the caller accepts (importDevices' maxRows); reading stopped there. */
export class TooManyRows extends Error {
  constructor(readonly maxRows: number) {
    super(`the file has more than ${maxRows} rows`);
  }
}

interface Named { id: string; name: string }

export type ImportPhase = 'reading' | 'checking' | 'writing' | 'marking' | 'done';

/** Where an import is: rows read (and validated) from the file, then devices written (new ones, in chunks). */
export interface ImportProgress {
  phase: ImportPhase;
  rowsRead: number;
  devicesWritten: number;
  devicesToWrite: number;
}

/**
 * Imports devices of one project. Without `update`, only new devices are accepted; existing channels and
 * protocols are reused when the file describes them identically. With `update`, existing channels,
 * protocols, group membership and comm lines are changed to what the file says. `onProgress` hears every
 * phase change, every 1,000 rows read and every chunk written.
 */
export async function importDevices(
  db: Db, box: SecretBox, projectId: string, xlsx: Buffer,
  opts: { update: boolean; transportKey?: Buffer; onProgress?: (p: Readonly<ImportProgress>) => void; maxRows?: number },
): Promise<ImportResult> {
  const progress: ImportProgress = { phase: 'reading', rowsRead: 0, devicesWritten: 0, devicesToWrite: 0 };
  const report = (change: Partial<ImportProgress>) => {
    Object.assign(progress, change);
    opts.onProgress?.(progress);
  };
  report({});
  const check = new SheetValidator(opts.transportKey);
  let read = 0;
  for await (const { number, cells } of sheetRows(xlsx)) {
    check.add(number, cells);
    if (number > 1 && ++read % 1000 === 0) report({ rowsRead: read });
    if (opts.maxRows !== undefined && read > opts.maxRows) throw new TooManyRows(opts.maxRows);
  }
  check.finish();
  const { rows, errors, columnOf, extraOf } = check;
  report({ phase: 'checking', rowsRead: rows.length });
  const result: ImportResult = {
    ok: false, rows: rows.length, errors,
    created: { devices: 0, channels: 0, protocols: 0, groups: 0, commLines: 0 }, updated: { devices: 0, channels: 0, protocols: 0 },
    unchanged: { devices: 0, channels: 0, protocols: 0 },
  };
  const fail = async () => {
    report({ phase: 'marking' });
    const marked = await errorWorkbook(xlsx, errors, check.width);
    report({ phase: 'done' });
    return { ...result, ok: false, errorWorkbook: marked };
  };
  if (errors.length) return fail();

  // Conflicts with what the project already holds, checked before writing anything.
  const channels = new Map((await db.query<Named & { kind: string; settings: Record<string, unknown> }>('SELECT id, name, kind, settings FROM channels WHERE project_id = $1', [projectId])).rows.map((c) => [c.name.toLowerCase(), c]));
  const protocolRows = (await db.query<Named & { kind: string; settings: Record<string, unknown>; secretsEnc: string | null }>(
    'SELECT id, name, kind, settings, secrets_enc AS "secretsEnc" FROM protocols WHERE project_id = $1', [projectId])).rows;
  const store = new ProtocolStore(db, box);
  const protocols = new Map(protocolRows.map((p) => [p.name.toLowerCase(), p]));
  /** The settings a row gives its protocol, and whether they differ from what the stored protocol holds. */
  const settingsOf = (r: ImportRow) => ({ ...r.protocolSettings, physicalServer: r.protocolAddress, waitTime: r.protocolTimeout });
  const differs = (cur: (typeof protocolRows)[number], r: ImportRow) => {
    const stored = withDefaults(PROTOCOL_SETTINGS.DLMS, cur.settings);
    const secrets = store.secrets(cur);
    return Object.entries(settingsOf(r)).some(([k, v]) => stored[k] !== v) || Object.entries(r.protocolSecrets).some(([k, v]) => secrets[k] !== v);
  };
  const profiles = new Set((await db.query<{ id: string }>('SELECT id FROM device_profiles')).rows.map((p) => p.id));
  const devices = new Map((await db.query<{ id: string; serial_number: string; type: string; group_id: string }>(
    'SELECT id, serial_number, type, group_id FROM devices WHERE project_id = $1 AND serial_number = ANY($2::text[])', [projectId, rows.map((r) => r.serialNumber)])).rows
    .map((d) => [`${d.serial_number}\u0000${d.type}`, d]));
  for (const r of rows) {
    const at = (k: Key, message: string) => errors.push({ row: r.row, column: columnOf[k] + 1, message });
    const ch = channels.get(r.channelName.toLowerCase());
    if (ch && ch.kind !== 'TCP') at('channelName', `channel "${ch.name}" exists and is not a TCP channel`);
    else if (ch && !opts.update && (ch.settings.host !== r.ip || ch.settings.port !== r.port)) at('channelName', 'a channel with this name exists with other settings; use import with update');
    const pr = protocols.get(r.protocolName.toLowerCase());
    if (pr && pr.kind !== 'DLMS') at('protocolName', `protocol "${pr.name}" exists and is not DLMS`);
    else if (pr && !opts.update && differs(pr, r)) at('protocolName', 'a protocol with this name exists with other settings; use import with update');
    if (r.line.profileId && !profiles.has(r.line.profileId)) errors.push({ row: r.row, column: extraOf.get('lineProfile')! + 1, message: `no device profile "${r.line.profileId}"` });
    if (!opts.update && devices.has(`${r.serialNumber}\u0000${r.deviceType}`)) at('serialNumber', 'the device already exists; use import with update');
  }
  if (errors.length) return fail();

  report({ phase: 'writing', devicesToWrite: rows.filter((r) => !devices.has(`${r.serialNumber}\u0000${r.deviceType}`)).length });
  await db.transaction(async (tx) => {
    const txStore = new ProtocolStore(tx, box);
    const groups = new Map((await tx.query<Named>('SELECT id, name FROM device_groups WHERE project_id = $1', [projectId])).rows.map((g) => [g.name.toLowerCase(), g.id]));
    const groupId = async (name: string) => {
      let id = groups.get(name.toLowerCase());
      if (!id) {
        id = (await tx.query<{ id: string }>('INSERT INTO device_groups (project_id, name) VALUES ($1, $2) RETURNING id', [projectId, name])).rows[0].id;
        groups.set(name.toLowerCase(), id);
        result.created.groups++;
      }
      return id;
    };
    const channelId = new Map<string, string>();
    const protocolId = new Map<string, string>();
    for (const r of rows) {
      const ck = r.channelName.toLowerCase();
      if (!channelId.has(ck)) {
        const settings = channelSettings('TCP', { host: r.ip, port: r.port });
        const cur = channels.get(ck);
        if (!cur) {
          channelId.set(ck, (await tx.query<{ id: string }>(`INSERT INTO channels (project_id, name, kind, settings) VALUES ($1, $2, 'TCP', $3) RETURNING id`, [projectId, r.channelName, JSON.stringify(settings)])).rows[0].id);
          result.created.channels++;
        } else {
          if (cur.settings.host !== r.ip || cur.settings.port !== r.port) {
            await tx.query('UPDATE channels SET settings = settings || $2::jsonb, version = version + 1 WHERE id = $1', [cur.id, JSON.stringify({ host: r.ip, port: r.port })]);
            result.updated.channels++;
          } else result.unchanged.channels++;
          channelId.set(ck, cur.id);
        }
      }
      const pk = r.protocolName.toLowerCase();
      if (!protocolId.has(pk)) {
        const settings = { ...settingsOf(r), ...r.protocolSecrets };
        const cur = protocols.get(pk);
        if (!cur) {
          protocolId.set(pk, String((await txStore.create(projectId, { name: r.protocolName, kind: 'DLMS', settings })).id));
          result.created.protocols++;
        } else {
          if (differs(cur, r)) {
            await txStore.update(projectId, cur.id, { settings: { ...cur.settings, ...settings } });
            result.updated.protocols++;
          } else result.unchanged.protocols++;
          protocolId.set(pk, cur.id);
        }
      }
    }
    const fresh: ImportRow[] = [];
    for (const r of rows) {
      const d = devices.get(`${r.serialNumber}\u0000${r.deviceType}`);
      if (!d) {
        fresh.push(r);
        continue;
      }
      const gid = await groupId(r.groupName);
      const moved = await tx.query('UPDATE devices SET group_id = $2, version = version + 1 WHERE id = $1 AND group_id <> $2', [d.id, gid]);
      // The row describes the device's first TCP/DLMS line (the one the export writes); fields it leaves empty keep their stored values.
      const first = await tx.query<{ id: string }>(
        `SELECT l.id FROM comm_lines l JOIN channels c ON c.id = l.channel_id AND c.kind = 'TCP' JOIN protocols p ON p.id = l.protocol_id AND p.kind = 'DLMS'
         WHERE l.device_id = $1 ORDER BY l.priority, l.id LIMIT 1`, [d.id]);
      let changed = moved.rowCount > 0;
      if (first.rows.length) {
        const line = await tx.query(
          `UPDATE comm_lines l SET channel_id = n.c, protocol_id = n.p, address = n.a, profile_id = n.pf, protocol_map = n.m, priority = n.pr, attempts = n.n, version = l.version + 1
           FROM (SELECT $2::uuid AS c, $3::uuid AS p, coalesce($4::text, address) AS a, coalesce($5::text, profile_id) AS pf, coalesce($6::text, protocol_map) AS m,
                   coalesce($7::int, priority) AS pr, coalesce($8::int, attempts) AS n FROM comm_lines WHERE id = $1) n
           WHERE l.id = $1 AND (l.channel_id, l.protocol_id, l.address, l.profile_id, l.protocol_map, l.priority, l.attempts) IS DISTINCT FROM (n.c, n.p, n.a, n.pf, n.m, n.pr, n.n)`,
          [first.rows[0].id, channelId.get(r.channelName.toLowerCase()), protocolId.get(r.protocolName.toLowerCase()),
            r.line.address ?? null, r.line.profileId ?? null, r.line.protocolMap ?? null, r.line.priority ?? null, r.line.attempts ?? null],
        );
        changed ||= line.rowCount > 0;
      } else {
        await insertLines(tx, projectId, [{ deviceId: d.id, row: r }], channelId, protocolId);
        result.created.commLines++;
        changed = true;
      }
      result[changed ? 'updated' : 'unchanged'].devices++;
    }
    for (const r of fresh) await groupId(r.groupName);
    const chunk = 5000;
    for (let i = 0; i < fresh.length; i += chunk) {
      const part = fresh.slice(i, i + chunk);
      const ins = await tx.query<{ id: string }>(
        `INSERT INTO devices (project_id, serial_number, type, group_id, source)
         SELECT $1, s, t, g, 'IMPORTED' FROM unnest($2::text[], $3::text[], $4::uuid[]) WITH ORDINALITY AS x(s, t, g, n) ORDER BY n RETURNING id`,
        [projectId, part.map((r) => r.serialNumber), part.map((r) => r.deviceType), part.map((r) => groups.get(r.groupName.toLowerCase()))],
      );
      await insertLines(tx, projectId, part.map((row, k) => ({ deviceId: ins.rows[k].id, row })), channelId, protocolId);
      result.created.devices += part.length;
      result.created.commLines += part.length;
      report({ devicesWritten: i + part.length });
    }
  });
  report({ phase: 'done' });
  return { ...result, ok: true };
}

/** New comm lines; fields a row leaves empty get the device type's profile and protocol map, priority 0, 3 attempts, no address. */
async function insertLines(db: Db, projectId: string, lines: { deviceId: string; row: ImportRow }[], channelId: Map<string, string>, protocolId: Map<string, string>) {
  const of = <T>(f: (r: ImportRow) => T) => lines.map((l) => f(l.row));
  await db.query(
    `INSERT INTO comm_lines (project_id, device_id, channel_id, protocol_id, profile_id, protocol_map, address, priority, attempts)
     SELECT $1, d, c, p, coalesce(pf, 'DL_CE_' || substr(t, 3)), coalesce(m, 'PROTO_MAP_SPODES_' || t || '_V10'), coalesce(a, ''), coalesce(pr, 0), coalesce(n, 3)
     FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[], $10::int[]) AS x(d, c, p, t, pf, m, a, pr, n)`,
    [projectId, lines.map((l) => l.deviceId), of((r) => channelId.get(r.channelName.toLowerCase())), of((r) => protocolId.get(r.protocolName.toLowerCase())),
      of((r) => r.deviceType), of((r) => r.line.profileId ?? null), of((r) => r.line.protocolMap ?? null), of((r) => r.line.address ?? null),
      of((r) => r.line.priority ?? null), of((r) => r.line.attempts ?? null)],
  );
}

/**
 * Devices with a TCP + DLMS comm line, in the import layout plus the optional columns (seed 003: export feeds
 * import-with-update). Secrets are placeholders, or wrapped under the transport key; `secrets` counts those
 * written wrapped (per protocol, not per row).
 */
export async function exportDevices(db: Db, box: SecretBox, projectId: string, mode: SecretExport = { kind: 'placeholder' }): Promise<{ xlsx: Buffer; secrets: number }> {
  const store = new ProtocolStore(db, box);
  const r = await db.query<{
    channel: string; cs: { host: string; port: number }; pid: string; protocol: string; ps: Record<string, unknown>; secrets: string | null; grp: string; type: string; serial: string;
    address: string; profile: string | null; map: string; priority: number; attempts: number;
  }>(
    `SELECT c.name AS channel, c.settings AS cs, p.id AS pid, p.name AS protocol, p.settings AS ps, p.secrets_enc AS secrets, g.name AS grp, d.type, d.serial_number AS serial,
       l.address, l.profile_id AS profile, l.protocol_map AS map, l.priority, l.attempts
     FROM devices d JOIN comm_lines l ON l.device_id = d.id JOIN channels c ON c.id = l.channel_id AND c.kind = 'TCP'
     JOIN protocols p ON p.id = l.protocol_id AND p.kind = 'DLMS' JOIN device_groups g ON g.id = d.group_id
     WHERE d.project_id = $1 AND d.type = ANY($2::text[]) ORDER BY d.serial_number, d.type, l.priority, l.id`,
    [projectId, TYPES],
  );
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Devices');
  ws.addRow([...COLUMNS, ...EXTRA_COLUMNS].map((c) => c.ru));
  ws.getRow(1).font = { bold: true };
  /** Per protocol: its password cell, keys cell and settings cell (the same in each of its rows). */
  const cellsOf = new Map<string, [string, string, string]>();
  let written = 0;
  const seen = new Set<string>();
  for (const x of r.rows) {
    if (seen.has(x.serial + '\u0000' + x.type)) continue; // one row per device: its first TCP/DLMS line
    seen.add(x.serial + '\u0000' + x.type);
    if (!cellsOf.has(x.pid)) {
      const { password, ...keys } = store.secrets({ id: x.pid, secretsEnc: x.secrets });
      const keyCells = Object.entries(keys).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, exportSecret(mode, v)]);
      if (mode.kind === 'wrap') written += keyCells.length + (password === undefined ? 0 : 1);
      const settings = Object.fromEntries(Object.entries(withDefaults(PROTOCOL_SETTINGS.DLMS, x.ps)).filter(([k]) => !OWN_COLUMN.has(k)).sort(([a], [b]) => a.localeCompare(b)));
      cellsOf.set(x.pid, [password === undefined ? '' : exportSecret(mode, password), keyCells.length ? JSON.stringify(Object.fromEntries(keyCells)) : '', JSON.stringify(settings)]);
    }
    const [password, keys, settings] = cellsOf.get(x.pid)!;
    const ps = withDefaults(PROTOCOL_SETTINGS.DLMS, x.ps);
    ws.addRow([x.channel, 'TCP', x.cs.host, x.cs.port, x.protocol, 'DLMS', ps.physicalServer, password, ps.waitTime, x.grp, x.type, x.serial,
      keys, settings, x.address, x.profile ?? '', x.map, x.priority, x.attempts]);
  }
  ws.columns.forEach((c) => (c.width = 22));
  return { xlsx: Buffer.from(await wb.xlsx.writeBuffer()), secrets: written };
}
