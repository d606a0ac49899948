/**
 * Follow-ups of asynchronous CIM requests (docs/cim.md), each waiting on a one-off task (cim_watches):
 * - `create EndDeviceControls`: once the relay command's launch has finished — after the approval workflow,
 *   when the project has one — or its approval was rejected, the outcome per device goes to the request's
 *   ReplyAddress as `changed EndDeviceControls`;
 * - `get MeterReadings` on demand: once the read's launch has finished, the reply from stored data.
 * Both in the request's format, through the notifier's deliveries (retries, dead letters). The notifier runs
 * this before each of its rounds (cli/data-plane.ts), so follow-ups leave within its poll interval.
 */
import { text } from 'node:stream/consumers';
import type { Db } from '../../registry/db.js';
import type { SecretBox } from '../../registry/crypto.js';
import type { ClickHouseEngine } from '../../sinks/clickhouse/engine.js';
import { CIM_REPLY, queueCimReply } from '../../notify/notifier.js';
import { renderEvent, renderResponse, renderResponseStream, CimFault, type CimMessage, type Plain, type ReplyTo } from './envelope.js';
import { meterReadingsOf } from './meter-readings.js';

interface Watch {
  taskId: string;
  kind: 'controls' | 'readings';
  urlEnc: string;
  replyTo: ReplyTo;
  controlType: string | null;
  issuerTrackingId: string | null;
  request: CimMessage | null;
  userId: string | null;
  approval: string;
  launchId: string | null;
}

/** Where the follow-ups go: the registry, and the readings store for on-demand reads (absent: they wait). */
export interface FollowUpContext {
  db: Db;
  box: SecretBox;
  warehouse?: ClickHouseEngine;
}

/** Queues the messages of the watched requests whose tasks are done; returns how many were queued. */
export async function reportCimFollowUps({ db, box, warehouse }: FollowUpContext, now = Date.now()): Promise<number> {
  const done = await db.query<Watch>(
    `SELECT w.task_id AS "taskId", w.kind, w.url_enc AS "urlEnc", w.reply_to AS "replyTo", w.control_type AS "controlType",
       w.issuer_tracking_id AS "issuerTrackingId", w.request, w.user_id AS "userId", t.approval, l.id AS "launchId"
     FROM cim_watches w JOIN collection_tasks t ON t.id = w.task_id
     LEFT JOIN LATERAL (SELECT id, state FROM task_launches WHERE task_id = w.task_id ORDER BY created_at DESC LIMIT 1) l ON true
     WHERE (t.approval = 'rejected' OR l.state = 'finished') AND (w.kind = 'controls' OR $1) ORDER BY w.created_at LIMIT 100`,
    [warehouse !== undefined],
  );
  for (const w of done.rows) {
    const out = w.kind === 'controls' ? await controlOutcomes(db, w, now) : await readingsReply(db, warehouse!, w, now);
    await db.transaction(async (tx) => {
      const gone = await tx.query(`DELETE FROM cim_watches WHERE task_id = $1 RETURNING task_id`, [w.taskId]);
      if (gone.rows.length) await queueCimReply(tx, box, box.decrypt(w.urlEnc, CIM_REPLY), out.contentType, out.body, now);
    });
  }
  return done.rows.length;
}

/** launch_devices.result → the outcome an MDM reads. */
const OUTCOMES: Record<string, string> = { success: 'completed', partial: 'completed', error: 'failed', absent: 'failed', cancelled: 'cancelled', pending: 'cancelled' };

async function controlOutcomes(db: Db, w: Watch, now: number): Promise<{ contentType: string; body: string }> {
  // The task's own devices: one that the launch never reached (cancelled before) has no launch_devices row.
  const devices = (await db.query<{ deviceId: string; result: string | null; note: string | null; finishedAt: Date | null }>(
    `SELECT d::text AS "deviceId", ld.result, ld.note, ld.finished_at AS "finishedAt"
     FROM collection_tasks t CROSS JOIN LATERAL unnest(t.device_ids) AS d LEFT JOIN launch_devices ld ON ld.launch_id = $2 AND ld.device_id = d
     WHERE t.id = $1 ORDER BY d`, [w.taskId, w.launchId],
  )).rows.map((d) => w.launchId === null
    ? { ...d, result: 'rejected', note: 'the approval was rejected' }
    : { ...d, result: OUTCOMES[d.result ?? 'pending'] ?? d.result! });
  const controls: Plain[] = devices.map((d) => ({
    mRID: w.taskId, ...(w.issuerTrackingId ? { issuerTrackingID: w.issuerTrackingId } : {}), EndDeviceControlType: { ref: w.controlType },
    EndDevices: [{ mRID: d.deviceId }],
    status: { value: d.result, ...(d.note ? { reason: d.note } : {}), ...(d.finishedAt ? { dateTime: new Date(d.finishedAt).toISOString() } : {}) },
  }));
  return renderEvent(w.replyTo, 'changed', { EndDeviceControls: { EndDeviceControl: controls } }, now);
}

/** The on-demand read is done (whatever each meter answered): the request is answered from stored data. */
async function readingsReply(db: Db, warehouse: ClickHouseEngine, w: Watch, now: number): Promise<{ contentType: string; body: string }> {
  try {
    const r = await meterReadingsOf(db, warehouse, w.userId!, w.request!);
    if (!r.stream) return renderResponse(w.replyTo, r.reply, undefined, now);
    const out = renderResponseStream(w.replyTo, r.reply, r.stream, now);
    return { contentType: out.contentType, body: await text(out.body) };
  } catch (e) {
    if (!(e instanceof CimFault)) throw e;
    return renderResponse(w.replyTo, { Result: 'FAILED', Error: [{ code: e.code, level: 'FATAL', reason: e.message, xpath: e.xpath }] }, undefined, now);
  }
}
