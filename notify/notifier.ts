/**
 * The notifier (docs/notifications.md): takes the events a pipeline batch has stored, off the pipeline's
 * path (`enqueue` only queues them in memory), records one notification per matching rule and recipient
 * — suppressed when in the rule's quiet period or a duplicate within its de-duplication window — and
 * delivers the pending ones with retries and exponential back-off. A notification that fails every attempt
 * is `failed`: the dead-letter list, replayed through the API.
 */
import type { EventRow, Severity } from '../decoders/protocol-decoder.js';
import type { SecretBox } from '../registry/crypto.js';
import type { Db } from '../registry/db.js';
import { enabledRules, secretAad, type Rule } from '../registry/notifications.js';
import { sendCimEvent, sendCimReply, sendEmail, sendSms, sendWebhook, shownUrl, type NotificationPayload, type SmtpSettings } from './channels.js';
import { inQuietPeriod, matchesRule } from './match.js';
import type { Counter } from 'prom-client';
import type { HesMetrics } from '../metrics/index.js';

export interface NotifierOptions {
  db: Db;
  box: SecretBox;
  now?: () => number;
  /** Attempts before a notification is failed (default 6). */
  maxAttempts?: number;
  /** The first retry's delay; each next one doubles it (default 30 s: 30 s, 1 min, 2 min, 4 min, 8 min). */
  retryBaseMs?: number;
  /** How often due retries are looked for (default 5 s). */
  pollMs?: number;
  /** Events waiting to be matched beyond which new ones are dropped, and counted (default 100,000). */
  maxQueued?: number;
  onError?: (message: string) => void;
  /** Where the notifier's metrics go (docs/operations.md). */
  metrics?: HesMetrics;
  /** Runs before each round of deliveries: what queues deliveries of its own (the outcomes of CIM controls). */
  beforeRound?: () => Promise<unknown>;
}

/** How long a claimed notification is left to its sender before another notifier may take it. */
const CLAIM_MS = 60_000;

interface DeviceOfEvent {
  num: number;
  id: string;
  projectId: string;
  projectName: string;
  timeZone: string;
  groupId: string;
  serialNumber: string;
  type: string;
}

export class Notifier {
  private queue: EventRow[] = [];
  private readonly outcomes: Counter<'channel' | 'status'> | undefined;
  private readonly dropped: Counter | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly options: NotifierOptions) {
    this.now = options.now ?? Date.now;
    const m = options.metrics;
    this.outcomes = m?.counter('hes_notifications_total', 'Notifications by channel and outcome: sent, failed (every attempt), suppressed', ['channel', 'status']);
    this.dropped = m?.counter('hes_notifier_dropped_events_total', 'Stored events not notified because the notifier\'s queue was full');
    m?.gauge('hes_notifier_queued_events', 'Stored events waiting to be matched to notification rules', [], (g) => g.set(this.queue.length));
  }

  /** Queues a stored batch's events; returns at once (the pipeline's batch does not wait for notifications). */
  enqueue(events: readonly EventRow[]): void {
    const room = (this.options.maxQueued ?? 100_000) - this.queue.length;
    if (events.length > room) this.dropped?.inc(events.length - Math.max(0, room));
    if (room > 0) this.queue.push(...events.slice(0, room));
    this.kick();
  }

  /** Looks for due retries from now on (hes start); tests may rely on `kick` and `idle` alone. */
  start(): void {
    this.timer ??= setInterval(() => this.kick(), this.options.pollMs ?? 5000).unref();
    this.kick();
  }

  /** Matches the queued events and delivers what is due, unless that is already under way. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.work().catch((e: unknown) => this.options.onError?.(`notifications: ${e instanceof Error ? e.message : String(e)}`)).finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Resolves when nothing is queued and no delivery is under way. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.idle();
  }

  private async work(): Promise<void> {
    await this.options.beforeRound?.();
    while (this.queue.length) await this.record(this.queue.splice(0, 1000));
    await this.deliverDue();
  }

  private async record(events: EventRow[]): Promise<void> {
    const { db } = this.options;
    const nums = [...new Set(events.map((e) => e.device_id))];
    const devices = new Map<number, DeviceOfEvent>();
    const found = await db.query<DeviceOfEvent>(
      `SELECT d.num, d.id, d.project_id AS "projectId", p.name AS "projectName", p.time_zone AS "timeZone", d.group_id AS "groupId",
         d.serial_number AS "serialNumber", d.type FROM devices d JOIN projects p ON p.id = d.project_id WHERE d.num = ANY($1::bigint[])`,
      [nums],
    );
    for (const d of found.rows) devices.set(Number(d.num), d);
    if (!devices.size) return;
    const rules = await enabledRules(db, [...new Set([...devices.values()].map((d) => d.projectId))]);
    if (!rules.length) return;
    const now = this.now();
    for (const event of events) {
      const device = devices.get(event.device_id);
      if (!device) continue;
      for (const rule of rules) {
        if (rule.projectId !== device.projectId || !matchesRule(rule, event, device.groupId)) continue;
        const recipients = rule.channel === 'sms' ? rule.target.recipients ?? [] : [rule.channel === 'email' ? (rule.target.recipients ?? []).join(', ') : shownUrl(rule.target.url ?? '')];
        for (const recipient of recipients) await this.recordOne(rule, device, event, recipient, now);
      }
    }
  }

  private async recordOne(rule: Rule, device: DeviceOfEvent, event: EventRow, recipient: string, now: number): Promise<void> {
    const { db } = this.options;
    let status = 'pending';
    let reason: string | null = null;
    if (inQuietPeriod(rule.quietPeriod, device.timeZone, now)) [status, reason] = ['suppressed', 'quiet-period'];
    else if (rule.dedupSeconds > 0) {
      const recent = await db.query(
        `SELECT 1 FROM notification_deliveries WHERE rule_id = $1 AND device_id = $2 AND event_code = $3 AND recipient = $4 AND status <> 'suppressed' AND created_at > $5 LIMIT 1`,
        [rule.id, device.id, event.code, recipient, new Date(now - rule.dedupSeconds * 1000)],
      );
      if (recent.rows.length) [status, reason] = ['suppressed', 'duplicate'];
    }
    const eventTime = new Date(event.ts * 1000).toISOString();
    const payload: Omit<NotificationPayload, 'id'> = {
      type: 'device.event',
      project: { id: device.projectId, name: device.projectName },
      rule: { id: rule.id, name: rule.name },
      device: { id: device.id, serialNumber: device.serialNumber, type: device.type },
      event: { journal: event.journal, code: event.code, name: event.name, severity: (event.severity || null) as Severity | null, time: eventTime, params: parseParams(event.params) },
    };
    await db.query(
      `INSERT INTO notification_deliveries (project_id, rule_id, channel, recipient, device_id, event_code, event_at, status, reason, next_attempt_at, created_at, payload)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [device.projectId, rule.id, rule.channel, recipient, device.id, event.code, eventTime, status, reason, status === 'pending' ? new Date(now) : null, new Date(now), JSON.stringify(payload)],
    );
    if (status === 'suppressed') this.outcomes?.inc({ channel: rule.channel, status });
  }

  private async deliverDue(): Promise<void> {
    const { db } = this.options;
    for (;;) {
      const now = this.now();
      const due = await db.query<{ id: number; attempts: number }>(
        `SELECT id, attempts FROM notification_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT 50`, [new Date(now)],
      );
      if (!due.rows.length) return;
      for (const d of due.rows) await this.deliver(d.id, d.attempts, now);
    }
  }

  /** One attempt at one notification, claimed first so that two notifiers never send it twice at once. */
  private async deliver(id: number, attempts: number, now: number): Promise<void> {
    const { db, box } = this.options;
    const claimed = await db.query<{ channel: string; recipient: string; payload: Omit<NotificationPayload, 'id'>; ruleId: string | null }>(
      `UPDATE notification_deliveries SET attempts = attempts + 1, next_attempt_at = $3 WHERE id = $1 AND status = 'pending' AND attempts = $2
       RETURNING channel, recipient, payload, rule_id AS "ruleId"`,
      [id, attempts, new Date(now + CLAIM_MS)],
    );
    const n = claimed.rows[0];
    if (!n) return;
    const attempt = attempts + 1;
    try {
      if (n.channel === CIM_REPLY) {
        const r = n.payload as unknown as CimReply;
        await sendCimReply(box.decrypt(r.urlEnc, CIM_REPLY), r.contentType, r.body);
        await db.query(`UPDATE notification_deliveries SET status = 'sent', sent_at = $2, reason = NULL, next_attempt_at = NULL WHERE id = $1`, [id, new Date(this.now())]);
        this.outcomes?.inc({ channel: n.channel, status: 'sent' });
        return;
      }
      const rule = n.ruleId === null ? undefined : (await db.query<Rule>(`SELECT channel, target, secret_enc AS "secretEnc" FROM notification_rules WHERE id = $1`, [n.ruleId])).rows[0];
      if (!rule) throw new RuleDeleted();
      const secret = rule.secretEnc === null ? null : box.decrypt(rule.secretEnc, secretAad(n.ruleId!));
      const payload: NotificationPayload = { id: String(id), ...n.payload };
      if (n.channel === 'email') await sendEmail(await this.smtp(), n.recipient.split(', '), payload);
      else if (n.channel === 'webhook') await sendWebhook(rule.target.url!, secret ?? '', payload, this.now());
      else if (n.channel === 'cim') await sendCimEvent(rule.target.url!, secret ?? '', payload, this.now());
      else {
        const t = rule.target;
        await sendSms({ url: t.url!, method: t.method ?? 'POST', headers: t.headers ?? {}, body: t.bodyTemplate ?? '' }, secret, n.recipient, payload);
      }
      await db.query(`UPDATE notification_deliveries SET status = 'sent', sent_at = $2, reason = NULL, next_attempt_at = NULL WHERE id = $1`, [id, new Date(this.now())]);
      this.outcomes?.inc({ channel: n.channel, status: 'sent' });
    } catch (e) {
      const reason = (e instanceof Error ? e.message : String(e)).slice(0, 500);
      const last = attempt >= (this.options.maxAttempts ?? 6) || e instanceof RuleDeleted;
      const retryAt = new Date(this.now() + (this.options.retryBaseMs ?? 30_000) * 2 ** (attempt - 1));
      await db.query(
        `UPDATE notification_deliveries SET status = $2, reason = $3, next_attempt_at = $4 WHERE id = $1`,
        [id, last ? 'failed' : 'pending', reason, last ? null : retryAt],
      );
      if (last) this.outcomes?.inc({ channel: n.channel, status: 'failed' });
    }
  }

  private async smtp(): Promise<SmtpSettings> {
    const r = await this.options.db.query<SmtpSettings & { passwordEnc: string | null }>(
      `SELECT sender_email AS "senderEmail", sender_name AS "senderName", smtp_host AS "smtpHost", smtp_port AS "smtpPort", security, username,
         password_enc AS "passwordEnc" FROM email_settings WHERE id = 1`,
    );
    const { passwordEnc, ...s } = r.rows[0]!;
    return { ...s, password: passwordEnc === null ? null : this.options.box.decrypt(passwordEnc, 'email-settings') };
  }
}

/** The delivery channel of asynchronous CIM replies (no rule; the ReplyAddress sealed with the master key). */
export const CIM_REPLY = 'cim-reply';

interface CimReply {
  urlEnc: string;
  contentType: string;
  body: string;
}

/**
 * Queues the asynchronous reply of a CIM request (docs/cim.md) as a delivery the notifier sends with its
 * retries, back-off and dead-letter list; the caller then kicks the notifier (or its poll finds it).
 */
export async function queueCimReply(db: Db, box: SecretBox, replyAddress: string, contentType: string, body: string, now = Date.now()): Promise<number> {
  const payload: CimReply = { urlEnc: box.encrypt(replyAddress, CIM_REPLY), contentType, body };
  const r = await db.query<{ id: number }>(
    `INSERT INTO notification_deliveries (project_id, rule_id, channel, recipient, device_id, event_code, event_at, status, next_attempt_at, created_at, payload)
     VALUES (NULL, NULL, $1, $2, NULL, 0, $3, 'pending', $3, $3, $4) RETURNING id`,
    [CIM_REPLY, shownUrl(replyAddress), new Date(now), JSON.stringify(payload)],
  );
  return Number(r.rows[0]!.id);
}

/** Nothing to retry: the notification fails at once. */
class RuleDeleted extends Error {
  constructor() {
    super('the rule was deleted');
  }
}

function parseParams(params: string): unknown {
  try {
    return JSON.parse(params) as unknown;
  } catch {
    return params;
  }
}
