/**
 * Notification rules and the record of notifications (docs/notifications.md) in the registry: rule CRUD
 * (the channel's secret encrypted, never returned), the delivery list with filters, and replay of failed
 * notifications (the dead-letter list).
 */
import type { SecretBox } from './crypto.js';
import { pageSql, type Db, type Row } from './db.js';
import { RegistryError, fromPgError } from './errors.js';
import type { Severity } from '../decoders/protocol-decoder.js';

export const CHANNELS = ['email', 'webhook', 'sms', 'cim'] as const;
export type Channel = (typeof CHANNELS)[number];
export const SEVERITIES: readonly Severity[] = ['critical', 'major', 'minor', 'info'];
export const DELIVERY_STATUSES = ['pending', 'sent', 'failed', 'suppressed'] as const;

/** Where a rule sends: recipients (email addresses, phone numbers), the webhook or gateway URL, the gateway's request template. */
export interface RuleTarget {
  recipients?: string[];
  url?: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  bodyTemplate?: string;
}

export interface RuleInput extends RuleTarget {
  name?: string;
  enabled?: boolean;
  channel?: Channel;
  eventCodes?: number[];
  severities?: Severity[];
  groupIds?: string[];
  /** Webhook: the signing secret (required); SMS: the gateway credential for {secret}. null removes it. */
  secret?: string | null;
  quietPeriod?: { from: string; to: string } | null;
  dedupSeconds?: number;
}

/** A rule as the notifier uses it: the filter, the target and the decrypted secret. */
export interface Rule {
  id: string;
  projectId: string;
  name: string;
  enabled: boolean;
  channel: Channel;
  eventCodes: number[];
  severities: Severity[];
  groupIds: string[];
  target: RuleTarget;
  secretEnc: string | null;
  quietPeriod: { from: string; to: string } | null;
  dedupSeconds: number;
  createdAt: Date;
  version: number;
}

const RULE_COLUMNS = `id, project_id AS "projectId", name, enabled, channel, event_codes AS "eventCodes", severities, group_ids AS "groupIds", target,
  secret_enc AS "secretEnc", CASE WHEN quiet_from IS NULL THEN NULL ELSE json_build_object('from', quiet_from, 'to', quiet_to) END AS "quietPeriod",
  dedup_seconds AS "dedupSeconds", created_at AS "createdAt", version`;

/** The AAD of a rule's secret: a sealed secret moved to another rule does not open. */
export const secretAad = (ruleId: string) => `notification-rule:${ruleId}`;

/** A rule as the API shows it: the secret only as `secretSet`. */
export function presentRule(r: Rule): Row {
  const { secretEnc, target, ...rest } = r;
  return { ...rest, ...target, secretSet: secretEnc !== null };
}

const fieldOf = (constraint: string) => (constraint === 'notification_rules_name' ? 'body.name' : undefined);

function invalid(field: string, message: string): RegistryError {
  return new RegistryError('VALIDATION_ERROR', `${field} ${message}`, 400, field);
}

/** The checks the JSON schema cannot make: what each channel needs, and groups of this project. */
async function check(db: Db, projectId: string, r: RuleInput & { channel: Channel }, secretSet: boolean): Promise<void> {
  if (!r.eventCodes?.length && !r.severities?.length) throw invalid('body.eventCodes', 'or body.severities must list at least one event code or severity');
  if (r.channel === 'email' || r.channel === 'sms') {
    if (!r.recipients?.length) throw invalid('body.recipients', `is required for the ${r.channel} channel`);
    if (r.channel === 'email') {
      const bad = r.recipients.find((a) => !/^[^\s@<>,;]+@[^\s@<>,;]+$/.test(a));
      if (bad !== undefined) throw invalid('body.recipients', `holds "${bad}", not an email address`);
    }
  }
  if (r.channel === 'webhook' || r.channel === 'cim' || r.channel === 'sms') {
    if (!r.url) throw invalid('body.url', `is required for the ${r.channel} channel`);
    let url: URL;
    try {
      url = new URL(r.channel === 'sms' ? r.url.replace(/\{[a-z]+\}/g, 'x') : r.url);
    } catch {
      throw invalid('body.url', 'is not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('body.url', 'must be http or https');
  }
  if ((r.channel === 'webhook' || r.channel === 'cim') && !secretSet) throw invalid('body.secret', `is required for the ${r.channel} channel (the signing secret)`);
  if (r.groupIds?.length) {
    const known = await db.query<{ id: string }>('SELECT id FROM device_groups WHERE project_id = $1 AND id = ANY($2::uuid[])', [projectId, r.groupIds]);
    const missing = r.groupIds.find((g) => !known.rows.some((k) => k.id === g));
    if (missing) throw new RegistryError('REFERENCE_NOT_FOUND', `body.groupIds: group ${missing} is not in this project`, 409, 'body.groupIds');
  }
}

/** The target fields the input gives (a PATCH keeps the others). */
function targetOf(r: RuleInput): RuleTarget {
  const t: RuleTarget = {};
  if (r.recipients !== undefined) t.recipients = r.recipients;
  if (r.url !== undefined) t.url = r.url;
  if (r.method !== undefined) t.method = r.method;
  if (r.headers !== undefined) t.headers = r.headers;
  if (r.bodyTemplate !== undefined) t.bodyTemplate = r.bodyTemplate;
  return t;
}

export async function getRule(db: Db, projectId: string, id: string): Promise<Rule> {
  const r = await db.query<Rule>(`SELECT ${RULE_COLUMNS} FROM notification_rules WHERE project_id = $1 AND id = $2`, [projectId, id]);
  if (!r.rows[0]) throw new RegistryError('NOT_FOUND', `notification rule ${id} not found`, 404, 'params.ruleId');
  return r.rows[0];
}

export async function listRules(db: Db, projectId: string, limit: number, offset: number): Promise<{ items: Rule[]; total: number }> {
  const items = await db.query<Rule>(`SELECT ${RULE_COLUMNS} FROM notification_rules WHERE project_id = $1 ORDER BY lower(name), id LIMIT $2 OFFSET $3`, [projectId, limit, offset]);
  const total = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM notification_rules WHERE project_id = $1', [projectId]);
  return { items: items.rows, total: total.rows[0]!.n };
}

/** Enabled rules of these projects, for the notifier. */
export async function enabledRules(db: Db, projectIds: string[]): Promise<Rule[]> {
  return (await db.query<Rule>(`SELECT ${RULE_COLUMNS} FROM notification_rules WHERE enabled AND project_id = ANY($1::uuid[])`, [projectIds])).rows;
}

export async function createRule(db: Db, box: SecretBox, projectId: string, input: RuleInput & { name: string; channel: Channel }): Promise<Rule> {
  await check(db, projectId, input, typeof input.secret === 'string');
  try {
    return await db.transaction(async (tx) => {
      const r = await tx.query<{ id: string }>(
        `INSERT INTO notification_rules (project_id, name, enabled, channel, event_codes, severities, group_ids, target, quiet_from, quiet_to, dedup_seconds)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
        [projectId, input.name, input.enabled ?? true, input.channel, input.eventCodes ?? [], input.severities ?? [], input.groupIds ?? [],
          JSON.stringify(targetOf(input)), input.quietPeriod?.from ?? null, input.quietPeriod?.to ?? null, input.dedupSeconds ?? 3600],
      );
      const id = r.rows[0]!.id;
      if (typeof input.secret === 'string') await tx.query('UPDATE notification_rules SET secret_enc = $2 WHERE id = $1', [id, box.encrypt(input.secret, secretAad(id))]);
      return getRule(tx, projectId, id);
    });
  } catch (e) {
    throw fromPgError(e, fieldOf);
  }
}

/** Changes the given fields; target fields (recipients, url, …) replace the stored ones one by one. */
export async function updateRule(db: Db, box: SecretBox, projectId: string, id: string, input: RuleInput, version: number | undefined): Promise<Rule> {
  const old = await getRule(db, projectId, id);
  const target = { ...old.target, ...targetOf(input) };
  const merged = {
    name: input.name ?? old.name, enabled: input.enabled ?? old.enabled, channel: input.channel ?? old.channel,
    eventCodes: input.eventCodes ?? old.eventCodes, severities: input.severities ?? old.severities, groupIds: input.groupIds ?? old.groupIds,
    quietPeriod: input.quietPeriod === undefined ? old.quietPeriod : input.quietPeriod, dedupSeconds: input.dedupSeconds ?? old.dedupSeconds, ...target,
  };
  const secretSet = input.secret === undefined ? old.secretEnc !== null : input.secret !== null;
  await check(db, projectId, merged, secretSet);
  const secretEnc = input.secret === undefined ? old.secretEnc : input.secret === null ? null : box.encrypt(input.secret, secretAad(id));
  try {
    const r = await db.query(
      `UPDATE notification_rules SET name = $3, enabled = $4, channel = $5, event_codes = $6, severities = $7, group_ids = $8, target = $9,
         quiet_from = $10, quiet_to = $11, dedup_seconds = $12, secret_enc = $13, version = version + 1
       WHERE project_id = $1 AND id = $2 AND ($14::int IS NULL OR version = $14)`,
      [projectId, id, merged.name, merged.enabled, merged.channel, merged.eventCodes, merged.severities, merged.groupIds, JSON.stringify(target),
        merged.quietPeriod?.from ?? null, merged.quietPeriod?.to ?? null, merged.dedupSeconds, secretEnc, version ?? null],
    );
    if (!r.rowCount) throw new RegistryError('VERSION_CONFLICT', 'the rule was changed by someone else; reload and retry', 412, 'headers.if-match');
  } catch (e) {
    throw fromPgError(e, fieldOf);
  }
  return getRule(db, projectId, id);
}

export async function deleteRule(db: Db, projectId: string, id: string): Promise<void> {
  const r = await db.query('DELETE FROM notification_rules WHERE project_id = $1 AND id = $2', [projectId, id]);
  if (!r.rowCount) throw new RegistryError('NOT_FOUND', `notification rule ${id} not found`, 404, 'params.ruleId');
}

const DELIVERY_COLUMNS = `id, rule_id AS "ruleId", channel, recipient, device_id AS "deviceId", event_code AS "eventCode", event_at AS "eventAt", status, reason,
  attempts, next_attempt_at AS "nextAttemptAt", created_at AS "createdAt", sent_at AS "sentAt", payload`;

export interface DeliveryFilter {
  status?: string;
  channel?: string;
  ruleId?: string;
  deviceId?: string;
  eventCode?: number;
  from?: string;
  to?: string;
}

/** Notifications of a project, newest first, with an exact total. */
export async function listDeliveries(db: Db, projectId: string, f: DeliveryFilter, limit: number, offset: number): Promise<{ items: Row[]; total: number }> {
  const where = `project_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR channel = $3) AND ($4::uuid IS NULL OR rule_id = $4)
    AND ($5::uuid IS NULL OR device_id = $5) AND ($6::int IS NULL OR event_code = $6) AND ($7::timestamptz IS NULL OR created_at >= $7) AND ($8::timestamptz IS NULL OR created_at < $8)`;
  const params = [projectId, f.status ?? null, f.channel ?? null, f.ruleId ?? null, f.deviceId ?? null, f.eventCode ?? null, f.from ?? null, f.to ?? null];
  const pageParams = [...params];
  const items = await db.query(`SELECT ${DELIVERY_COLUMNS} FROM notification_deliveries WHERE ${where} ORDER BY id DESC ${pageSql(pageParams, limit, offset)}`, pageParams);
  const total = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_deliveries WHERE ${where}`, params);
  return { items: items.rows, total: total.rows[0]!.n };
}

/** Queues a failed notification (the dead-letter list) again, as a new first attempt. */
export async function replayDelivery(db: Db, projectId: string, id: number, nowMs: number): Promise<Row> {
  const r = await db.query<Row>(
    `UPDATE notification_deliveries SET status = 'pending', attempts = 0, reason = NULL, next_attempt_at = $3 WHERE project_id = $1 AND id = $2 AND status = 'failed'
     RETURNING ${DELIVERY_COLUMNS}`,
    [projectId, id, new Date(nowMs)],
  );
  if (r.rows[0]) return r.rows[0];
  const seen = await db.query<{ status: string }>('SELECT status FROM notification_deliveries WHERE project_id = $1 AND id = $2', [projectId, id]);
  if (!seen.rows[0]) throw new RegistryError('NOT_FOUND', `notification ${id} not found`, 404, 'params.notificationId');
  throw new RegistryError('NOT_FAILED', `notification ${id} is ${seen.rows[0].status}: only failed notifications are replayed`, 409, 'params.notificationId');
}
