/**
 * Firmware containers, per-device updates and campaigns as the registry keeps them (0019_firmware.sql,
 * docs/firmware.md). A container's bytes are stored once by SHA-256 (firmware_blobs), however many
 * containers carry them; a container can be deleted while no update uses it. Updates and campaigns are
 * checked here before anything is stored: a device whose type the container is not for, or whose comm lines
 * name no device profile with Image Transfer, is refused with the field named, and nothing starts.
 */
import { createHash } from 'node:crypto';
import type { Db } from './db.js';
import { RegistryError, fromPgError, type FieldProblem } from './errors.js';
import { DEVICE_TYPES } from './settings.js';

/** The largest image the HES takes (issue 23: 2 MB). */
export const MAX_IMAGE_BYTES = 2 * 1024 * 1024;

export interface ImageInput {
  name: string;
  vendor: string;
  deviceTypes: string[];
  version: string;
  /** image_identifier as the meter expects it: printable text, or 0x + hex. */
  imageIdentifier: string;
  /** Hex; absent = unsigned. */
  signature?: string;
  /** What the uploader says it sends: a body of another length or hash was cut or damaged on the way. */
  size?: number;
  sha256?: string;
}

type Row = Record<string, unknown>;

const IMAGE_COLUMNS = `i.id, i.project_id AS "projectId", i.sha256, i.name, i.vendor, i.device_types AS "deviceTypes", i.version,
  i.image_identifier AS "imageIdentifier", i.signature, i.size, i.uploaded_by AS "uploadedBy", i.uploaded_at AS "uploadedAt"`;

const bad = (field: string, message: string) => new RegistryError('VALIDATION_ERROR', `${field}: ${message}`, 400, field);

/** An octet-string given as text: printable ASCII as it is, or 0x + hex. */
export function octets(text: string, field: string): Uint8Array {
  if (/^0x([0-9a-fA-F]{2})+$/.test(text)) return Buffer.from(text.slice(2), 'hex');
  if (!/^[\x20-\x7e]+$/.test(text)) throw bad(field, 'printable ASCII text, or 0x followed by hex bytes');
  return new TextEncoder().encode(text);
}

const octetsText = (b: Uint8Array) => {
  const text = Buffer.from(b).toString('latin1');
  return /^[\x20-\x7e]+$/.test(text) && !text.startsWith('0x') ? text : `0x${Buffer.from(b).toString('hex')}`;
};

/** A container as the API shows it (identifier as text, signature as hex). */
export function presentImage(r: Row): Row {
  const { signature, imageIdentifier, ...rest } = r;
  return { ...rest, imageIdentifier: octetsText(imageIdentifier as Uint8Array), signature: signature ? Buffer.from(signature as Uint8Array).toString('hex') : null };
}

/** Stores a container; the same bytes uploaded again to the project return the container that has them (200, not 201). */
export async function addImage(db: Db, projectId: string, input: ImageInput, content: Buffer, userId: string | null): Promise<{ image: Row; created: boolean }> {
  if (content.length === 0) throw bad('body', 'the image is empty');
  if (content.length > MAX_IMAGE_BYTES) throw new RegistryError('PAYLOAD_TOO_LARGE', `body: ${content.length} bytes; an image has at most ${MAX_IMAGE_BYTES}`, 413, 'body');
  if (input.size !== undefined && input.size !== content.length) {
    throw bad('querystring.size', `${content.length} bytes arrived, ${input.size} were announced: the upload was cut off or padded`);
  }
  const sha256 = createHash('sha256').update(content).digest('hex');
  if (input.sha256 !== undefined && input.sha256.toLowerCase() !== sha256) {
    throw bad('querystring.sha256', `the bytes that arrived hash to ${sha256}: the upload was damaged or cut off`);
  }
  const unknown = input.deviceTypes.filter((t) => !(DEVICE_TYPES as readonly string[]).includes(t));
  if (unknown.length) throw bad('querystring.deviceTypes', `unknown device type(s) ${unknown.join(', ')}; known: ${DEVICE_TYPES.join(', ')}`);
  const identifier = octets(input.imageIdentifier, 'querystring.imageIdentifier');
  if (identifier.length > 255) throw bad('querystring.imageIdentifier', 'at most 255 bytes');
  const signature = input.signature === undefined ? null : Buffer.from(input.signature, 'hex');
  return db.transaction(async (tx) => {
    await tx.query('INSERT INTO firmware_blobs (sha256, size, content) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING', [sha256, content.length, content]);
    const found = await tx.query(`SELECT ${IMAGE_COLUMNS} FROM firmware_images i WHERE i.project_id = $1 AND i.sha256 = $2`, [projectId, sha256]);
    if (found.rows[0]) return { image: found.rows[0], created: false };
    const r = await tx.query<{ id: string }>(
      `INSERT INTO firmware_images (project_id, sha256, name, vendor, device_types, version, image_identifier, signature, size, uploaded_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [projectId, sha256, input.name, input.vendor, input.deviceTypes, input.version, Buffer.from(identifier), signature, content.length, userId],
    ).catch((e: unknown) => { throw fromPgError(e); });
    return { image: await getImage(tx, projectId, r.rows[0]!.id), created: true };
  });
}

export async function getImage(db: Db, projectId: string, id: string): Promise<Row> {
  const r = await db.query(`SELECT ${IMAGE_COLUMNS} FROM firmware_images i WHERE i.project_id = $1 AND i.id = $2`, [projectId, id]);
  if (!r.rows[0]) throw new RegistryError('NOT_FOUND', 'firmware container not found', 404);
  return r.rows[0];
}

export async function imageContent(db: Db, projectId: string, id: string): Promise<{ image: Row; content: Buffer }> {
  const image = await getImage(db, projectId, id);
  const r = await db.query<{ content: Uint8Array }>('SELECT content FROM firmware_blobs WHERE sha256 = $1', [image.sha256]);
  return { image, content: Buffer.from(r.rows[0]!.content) };
}

export async function listImages(db: Db, projectId: string, limit: number, offset: number): Promise<{ items: Row[]; total: number }> {
  const r = await db.query(`SELECT ${IMAGE_COLUMNS}, count(*) OVER ()::int AS total FROM firmware_images i WHERE i.project_id = $1 ORDER BY i.uploaded_at DESC, i.id LIMIT $2 OFFSET $3`, [projectId, limit, offset]);
  const total = r.rows.length ? Number(r.rows[0]!.total) : Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM firmware_images WHERE project_id = $1', [projectId])).rows[0]!.n);
  return { items: r.rows.map(({ total: _t, ...x }) => x), total };
}

/** Deletes a container no update or campaign uses; its bytes go when no container carries them any more. */
export async function deleteImage(db: Db, projectId: string, id: string): Promise<void> {
  await db.transaction(async (tx) => {
    const image = await getImage(tx, projectId, id);
    const used = await tx.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM firmware_updates WHERE image_id = $1)::int + (SELECT count(*) FROM firmware_campaigns WHERE image_id = $1)::int AS n`, [id],
    );
    if (used.rows[0]!.n > 0) throw new RegistryError('IN_USE', `the container is used by ${used.rows[0]!.n} update(s) or campaign(s): delete those first`, 409, 'params.imageId');
    await tx.query('DELETE FROM firmware_images WHERE id = $1', [id]);
    await tx.query('DELETE FROM firmware_blobs b WHERE sha256 = $1 AND NOT EXISTS (SELECT 1 FROM firmware_images i WHERE i.sha256 = b.sha256)', [image.sha256]);
  });
}

/** Update settings (seed 003 §3.6 "Настройки обновления ВПО"). */
export interface UpdateSettings {
  /** Sessions an update may take before it ends in error (link failures; default 5). */
  attempts?: number;
  /** Attempts per block within a session (default 3). */
  blockAttempts?: number;
  /** Initiate anew even when the meter holds part of the image. */
  forceClean?: boolean;
  /** Only read the version. */
  versionOnly?: boolean;
  /** The largest message to the meter, bytes ("packet size", e.g. 128 for GSM modules): caps the negotiated PDU size. */
  maxPdu?: number;
  /** Activate at this time instead of right after verification. */
  activateAt?: string;
}

interface TargetDevice {
  id: string;
  serial: string;
  type: string;
  firmware: boolean;
}

/**
 * The devices of `deviceIds` and of the groups, each checked against the container: its type must be one the
 * container is for, and one of its enabled comm lines must name a device profile with Image Transfer.
 */
export async function targetDevices(db: Db, projectId: string, image: Row, deviceIds: string[], groupIds: string[], field: string): Promise<TargetDevice[]> {
  const r = await db.query<TargetDevice>(
    `SELECT d.id, d.serial_number AS serial, d.type,
            EXISTS (SELECT 1 FROM comm_lines cl JOIN device_profiles p ON p.id = cl.profile_id
                    WHERE cl.device_id = d.id AND cl.enabled AND p.body ? 'firmware') AS firmware
     FROM devices d WHERE d.project_id = $1 AND (d.id = ANY($2::uuid[]) OR d.group_id = ANY($3::uuid[])) ORDER BY d.serial_number`,
    [projectId, deviceIds, groupIds],
  );
  const found = new Set(r.rows.map((d) => d.id));
  const problems: FieldProblem[] = deviceIds.filter((id) => !found.has(id)).map((id) => ({ field, message: `device ${id} is not in this project` }));
  const types = image.deviceTypes as string[];
  for (const d of r.rows) {
    if (!types.includes(d.type)) problems.push({ field, message: `device ${d.serial} is a ${d.type}; the container is for ${types.join(', ')}` });
    else if (!d.firmware) problems.push({ field, message: `device ${d.serial} has no comm line whose device profile has Image Transfer (class 18)` });
  }
  if (!r.rows.length && !problems.length) problems.push({ field, message: 'no devices' });
  if (problems.length) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    throw new RegistryError('VALIDATION_ERROR', `${problems[0]!.field}: ${problems[0]!.message}${more}`, 400, field, problems.slice(0, 100));
  }
  return r.rows;
}

const UPDATE_COLUMNS = `u.id, u.project_id AS "projectId", u.device_id AS "deviceId", d.serial_number AS "serialNumber", d.type AS "deviceType",
  u.image_id AS "imageId", u.campaign_id AS "campaignId", u.wave, u.settings, u.state, u.action, u.initiated,
  u.blocks_total AS "blocksTotal", u.blocks_done AS "blocksDone", u.blocks_sent::float8 AS "blocksSent", u.blocks_resent::float8 AS "blocksResent",
  u.bytes_sent::float8 AS "bytesSent", u.sessions, u.transfer_ms::float8 AS "transferMs", u.attempts, u.version_before AS "versionBefore",
  u.version_after AS "versionAfter", u.note, u.created_at AS "createdAt", u.started_at AS "startedAt", u.finished_at AS "finishedAt",
  u.last_activity_at AS "lastActivityAt"`;

export function presentUpdate(r: Row): Row {
  const total = Number(r.blocksTotal);
  return { ...r, progress: total ? Math.floor((Number(r.blocksDone) * 100) / total) : r.state === 'success' ? 100 : 0 };
}

/** Adds updates (state stopped: an operator starts them) for devices; a device with an unfinished update is refused. */
export async function addUpdates(
  db: Db, projectId: string, imageId: string, deviceIds: string[], settings: UpdateSettings, userId: string | null,
  campaign?: { id: string; waves: number[] },
): Promise<Row[]> {
  const image = await getImage(db, projectId, imageId).catch((e: unknown) => {
    if (e instanceof RegistryError && e.status === 404) throw new RegistryError('VALIDATION_ERROR', 'body.imageId: no such firmware container in this project', 400, 'body.imageId');
    throw e;
  });
  const devices = await targetDevices(db, projectId, image, deviceIds, [], 'body.deviceIds');
  return db.transaction(async (tx) => {
    const open = await tx.query<{ serial: string }>(
      `SELECT d.serial_number AS serial FROM firmware_updates u JOIN devices d ON d.id = u.device_id
       WHERE u.device_id = ANY($1::uuid[]) AND u.state IN ('stopped', 'running', 'waiting-collection') ORDER BY 1 LIMIT 5`, [devices.map((d) => d.id)],
    );
    if (open.rows.length) {
      throw new RegistryError('ALREADY_EXISTS', `body.deviceIds: ${open.rows.map((r) => r.serial).join(', ')} already have an unfinished firmware update`, 409, 'body.deviceIds');
    }
    const r = await tx.query<{ id: string }>(
      `INSERT INTO firmware_updates (project_id, device_id, image_id, settings, created_by, campaign_id, wave, state)
       SELECT $1, d, $2, $3, $4, $5, w, $7 FROM unnest($6::uuid[], $8::int[]) AS t(d, w) RETURNING id`,
      [projectId, imageId, JSON.stringify(settings), userId, campaign?.id ?? null, devices.map((d) => d.id), campaign ? 'running' : 'stopped',
        campaign ? campaign.waves : devices.map(() => null)],
    );
    const ids = r.rows.map((x) => x.id);
    await tx.query(
      `INSERT INTO firmware_update_history (update_id, device_id, state, note) SELECT id, device_id, state, 'added' FROM firmware_updates WHERE id = ANY($1::uuid[])`, [ids],
    );
    return (await tx.query(`SELECT ${UPDATE_COLUMNS} FROM firmware_updates u JOIN devices d ON d.id = u.device_id WHERE u.id = ANY($1::uuid[]) ORDER BY d.serial_number`, [ids])).rows.map(presentUpdate);
  });
}

export async function getUpdate(db: Db, projectId: string, id: string): Promise<Row> {
  const r = await db.query(`SELECT ${UPDATE_COLUMNS} FROM firmware_updates u JOIN devices d ON d.id = u.device_id WHERE u.project_id = $1 AND u.id = $2`, [projectId, id]);
  if (!r.rows[0]) throw new RegistryError('NOT_FOUND', 'firmware update not found', 404);
  return presentUpdate(r.rows[0]);
}

export interface UpdateFilter {
  state?: string;
  deviceId?: string;
  campaignId?: string;
}

export async function listUpdates(db: Db, projectId: string, f: UpdateFilter, limit: number, offset: number): Promise<{ items: Row[]; total: number }> {
  const where = ['u.project_id = $1'];
  const args: unknown[] = [projectId];
  if (f.state) where.push(`u.state = $${args.push(f.state)}`);
  if (f.deviceId) where.push(`u.device_id = $${args.push(f.deviceId)}`);
  if (f.campaignId) where.push(`u.campaign_id = $${args.push(f.campaignId)}`);
  const w = where.join(' AND ');
  const items = await db.query(
    `SELECT ${UPDATE_COLUMNS} FROM firmware_updates u JOIN devices d ON d.id = u.device_id WHERE ${w} ORDER BY u.created_at DESC, d.serial_number LIMIT $${args.length + 1} OFFSET $${args.length + 2}`,
    [...args, limit, offset],
  );
  const total = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM firmware_updates u WHERE ${w}`, args);
  return { items: items.rows.map(presentUpdate), total: total.rows[0]!.n };
}

/** Counts and sums over the project's updates (seed 003 "Статистика обновлений"), optionally of one campaign. */
export async function updateStatistics(db: Db, projectId: string, campaignId?: string): Promise<Row> {
  const r = await db.query(
    `SELECT count(*)::int AS total,
            count(*) FILTER (WHERE state = 'stopped')::int AS stopped, count(*) FILTER (WHERE state = 'running')::int AS running,
            count(*) FILTER (WHERE state = 'waiting-collection')::int AS "waitingCollection",
            count(*) FILTER (WHERE state = 'success')::int AS success, count(*) FILTER (WHERE state = 'error')::int AS error,
            coalesce(sum(blocks_sent), 0)::float8 AS "blocksSent", coalesce(sum(blocks_resent), 0)::float8 AS "blocksResent",
            coalesce(sum(bytes_sent), 0)::float8 AS "bytesSent", coalesce(sum(transfer_ms), 0)::float8 AS "transferMs"
     FROM firmware_updates WHERE project_id = $1 AND ($2::uuid IS NULL OR campaign_id = $2)`,
    [projectId, campaignId ?? null],
  );
  return r.rows[0]!;
}

/** Starts (state running) or stops updates by id; finished ones, and a campaign's updates before their wave, are left as they are. Returns those changed. */
export async function setUpdatesRunning(db: Db, projectId: string, ids: string[], run: boolean): Promise<string[]> {
  const from = run ? `('stopped', 'error')` : `('running', 'waiting-collection')`;
  const r = await db.query<{ id: string; device_id: string; state: string }>(
    `UPDATE firmware_updates SET state = $3, claimed_by = NULL, heartbeat_at = NULL, attempts = CASE WHEN $4 THEN 0 ELSE attempts END,
            finished_at = CASE WHEN $4 THEN NULL ELSE finished_at END, last_activity_at = now()
     WHERE project_id = $1 AND id = ANY($2::uuid[]) AND state IN ${from}
       -- A campaign's update starts with its wave, while the campaign runs (or is paused), not by hand before.
       AND (NOT $4 OR campaign_id IS NULL OR wave <= (SELECT current_wave FROM firmware_campaigns c WHERE c.id = campaign_id AND c.state IN ('running', 'paused')))
     RETURNING id, device_id, state`,
    [projectId, ids, run ? 'running' : 'stopped', run],
  );
  if (r.rows.length) {
    await db.query(
      `INSERT INTO firmware_update_history (update_id, device_id, state, note) SELECT x.id, x.d, $3, $4 FROM unnest($1::uuid[], $2::uuid[]) AS x(id, d)`,
      [r.rows.map((x) => x.id), r.rows.map((x) => x.device_id), run ? 'running' : 'stopped', run ? 'started by a user' : 'stopped by a user'],
    );
  }
  return r.rows.map((x) => x.id);
}

export async function deleteUpdate(db: Db, projectId: string, id: string): Promise<void> {
  const u = await getUpdate(db, projectId, id);
  if (u.state === 'running' || u.state === 'waiting-collection') throw new RegistryError('CONFLICT', 'stop the update before deleting it', 409, 'params.updateId');
  await db.query('DELETE FROM firmware_updates WHERE id = $1', [id]);
}

export async function updateHistory(db: Db, projectId: string, filter: { updateId?: string; deviceId?: string }, limit: number, offset: number): Promise<{ items: Row[]; total: number }> {
  const w = `u.project_id = $1 AND ($2::uuid IS NULL OR h.update_id = $2) AND ($3::uuid IS NULL OR h.device_id = $3)`;
  const args = [projectId, filter.updateId ?? null, filter.deviceId ?? null];
  const items = await db.query(
    `SELECT h.id::float8 AS id, h.update_id AS "updateId", h.device_id AS "deviceId", h.at, h.state, h.action, h.note
     FROM firmware_update_history h JOIN firmware_updates u ON u.id = h.update_id WHERE ${w} ORDER BY h.id DESC LIMIT $4 OFFSET $5`,
    [...args, limit, offset],
  );
  const total = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM firmware_update_history h JOIN firmware_updates u ON u.id = h.update_id WHERE ${w}`, args);
  return { items: items.rows, total: total.rows[0]!.n };
}

/** The campaign's unfinished updates stop (a running transfer is cut at its next heartbeat; it resumes where the meter is). */
export async function stopCampaignUpdates(db: Db, campaignId: string, note: string): Promise<void> {
  const r = await db.query<{ id: string; device_id: string }>(
    `UPDATE firmware_updates SET state = 'stopped', note = $2, claimed_by = NULL WHERE campaign_id = $1 AND state IN ('running', 'waiting-collection') RETURNING id, device_id`,
    [campaignId, note],
  );
  if (!r.rows.length) return;
  await db.query(
    `INSERT INTO firmware_update_history (update_id, device_id, state, note) SELECT x.id, x.d, 'stopped', $3 FROM unnest($1::uuid[], $2::uuid[]) AS x(id, d)`,
    [r.rows.map((x) => x.id), r.rows.map((x) => x.device_id), note],
  );
}

export type Wave = { percent: number } | { count: number };

export interface CampaignInput {
  name: string;
  imageId: string;
  deviceIds?: string[];
  groupIds?: string[];
  waves: Wave[];
  successThreshold: number;
  errorThreshold: number;
  maxParallel: number;
  window?: { from: string; to: string } | null;
  settings?: UpdateSettings;
}

/** Wave sizes for `devices` devices: a percentage of all of them or a count, in order; the last wave takes what is left. */
export function waveSizes(waves: Wave[], devices: number): number[] {
  const sizes: number[] = [];
  let left = devices;
  waves.forEach((w, i) => {
    const want = i === waves.length - 1 ? left : 'count' in w ? w.count : Math.ceil((devices * w.percent) / 100);
    const n = Math.min(left, Math.max(0, want));
    sizes.push(n);
    left -= n;
  });
  return sizes;
}

const CAMPAIGN_COLUMNS = `c.id, c.project_id AS "projectId", c.name, c.image_id AS "imageId", c.device_ids AS "deviceIds", c.group_ids AS "groupIds", c.waves,
  c.success_threshold AS "successThreshold", c.error_threshold AS "errorThreshold", c.max_parallel AS "maxParallel",
  CASE WHEN c.window_start IS NULL THEN NULL ELSE jsonb_build_object('from', c.window_start, 'to', c.window_end) END AS "window",
  c.settings, c.state, c.current_wave AS "currentWave", c.note, c.created_at AS "createdAt", c.finished_at AS "finishedAt", c.version`;

/**
 * Creates a campaign and its updates: every device of `deviceIds` and of the groups, checked against the
 * container (type, Image Transfer) before anything is stored, split into waves by serial number. The first
 * wave's updates run at once (within the window and the parallelism); later waves wait for their turn.
 */
export async function createCampaign(db: Db, projectId: string, input: CampaignInput, userId: string | null): Promise<Row> {
  const image = await getImage(db, projectId, input.imageId).catch((e: unknown) => {
    if (e instanceof RegistryError && e.status === 404) throw new RegistryError('VALIDATION_ERROR', 'body.imageId: no such firmware container in this project', 400, 'body.imageId');
    throw e;
  });
  if (!input.deviceIds?.length && !input.groupIds?.length) throw bad('body.deviceIds', 'name devices or groups (body.groupIds)');
  const devices = await targetDevices(db, projectId, image, input.deviceIds ?? [], input.groupIds ?? [], input.deviceIds?.length ? 'body.deviceIds' : 'body.groupIds');
  const sizes = waveSizes(input.waves, devices.length);
  const waveOf: number[] = [];
  sizes.forEach((n, w) => { for (let i = 0; i < n; i++) waveOf.push(w); });
  return db.transaction(async (tx) => {
    const c = await tx.query<{ id: string }>(
      `INSERT INTO firmware_campaigns (project_id, name, image_id, device_ids, group_ids, waves, success_threshold, error_threshold, max_parallel, window_start, window_end, settings, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
      [projectId, input.name, input.imageId, input.deviceIds ?? [], input.groupIds ?? [], JSON.stringify(input.waves), input.successThreshold, input.errorThreshold,
        input.maxParallel, input.window?.from ?? null, input.window?.to ?? null, JSON.stringify(input.settings ?? {}), userId],
    );
    const id = c.rows[0]!.id;
    await addUpdates(tx, projectId, input.imageId, devices.map((d) => d.id), input.settings ?? {}, userId, { id, waves: waveOf });
    // Later waves wait, stopped, until the campaign opens them.
    await tx.query(`UPDATE firmware_updates SET state = 'stopped', note = 'waiting for its wave' WHERE campaign_id = $1 AND wave > 0`, [id]);
    return getCampaign(tx, projectId, id);
  });
}

/** A campaign with its progress: counts per wave and in total. */
export async function getCampaign(db: Db, projectId: string, id: string): Promise<Row> {
  const r = await db.query(`SELECT ${CAMPAIGN_COLUMNS} FROM firmware_campaigns c WHERE c.project_id = $1 AND c.id = $2`, [projectId, id]);
  if (!r.rows[0]) throw new RegistryError('NOT_FOUND', 'firmware campaign not found', 404);
  const waves = await db.query<{ wave: number; total: number; stopped: number; running: number; waitingCollection: number; success: number; error: number; blocksDone: number; blocksTotal: number }>(
    `SELECT wave, count(*)::int AS total, count(*) FILTER (WHERE state = 'stopped')::int AS stopped, count(*) FILTER (WHERE state = 'running')::int AS running,
            count(*) FILTER (WHERE state = 'waiting-collection')::int AS "waitingCollection",
            count(*) FILTER (WHERE state = 'success')::int AS success, count(*) FILTER (WHERE state = 'error')::int AS error,
            coalesce(sum(blocks_done), 0)::float8 AS "blocksDone", coalesce(sum(blocks_total), 0)::float8 AS "blocksTotal"
     FROM firmware_updates WHERE campaign_id = $1 GROUP BY wave ORDER BY wave`,
    [id],
  );
  const sum = (k: 'total' | 'stopped' | 'running' | 'waitingCollection' | 'success' | 'error') => waves.rows.reduce((a, w) => a + w[k], 0);
  return {
    ...r.rows[0],
    progress: {
      total: sum('total'), stopped: sum('stopped'), running: sum('running'), waitingCollection: sum('waitingCollection'), success: sum('success'), error: sum('error'),
      waves: waves.rows.map((w) => ({ ...w, wave: w.wave + 1 })),
    },
  };
}

export async function listCampaigns(db: Db, projectId: string, limit: number, offset: number): Promise<{ items: Row[]; total: number }> {
  const r = await db.query(`SELECT ${CAMPAIGN_COLUMNS} FROM firmware_campaigns c WHERE c.project_id = $1 ORDER BY c.created_at DESC, c.id LIMIT $2 OFFSET $3`, [projectId, limit, offset]);
  const total = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM firmware_campaigns WHERE project_id = $1', [projectId]);
  return { items: r.rows, total: total.rows[0]!.n };
}

/** pause: no new transfer starts and running ones are cut (they resume later); resume; cancel: every unfinished update stops for good. */
export async function controlCampaign(db: Db, projectId: string, id: string, op: 'pause' | 'resume' | 'cancel'): Promise<Row> {
  const from = { pause: ['running'], resume: ['paused'], cancel: ['running', 'paused'] }[op];
  const to = { pause: 'paused', resume: 'running', cancel: 'cancelled' }[op];
  const r = await db.query(
    `UPDATE firmware_campaigns SET state = $3, version = version + 1, finished_at = CASE WHEN $3 = 'cancelled' THEN now() ELSE finished_at END
     WHERE project_id = $1 AND id = $2 AND state = ANY($4::text[])`,
    [projectId, id, to, from],
  );
  if (!r.rowCount) {
    const c = await getCampaign(db, projectId, id);
    throw new RegistryError('CONFLICT', `the campaign is ${String(c.state)}: it cannot ${op}`, 409, 'params.campaignId');
  }
  if (op === 'cancel') await stopCampaignUpdates(db, id, 'campaign cancelled');
  return getCampaign(db, projectId, id);
}
