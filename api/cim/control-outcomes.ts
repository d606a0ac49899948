/**
 * The follow-up of an asynchronous `create EndDeviceControls` (docs/cim.md): once the relay command's launch
 * has finished — after the approval workflow, when the project has one — or its approval was rejected, the
 * outcome per device goes to the request's ReplyAddress as `changed EndDeviceControls`, in the request's
 * format, through the notifier's deliveries (retries, dead letters). The notifier runs this before each of
 * its rounds (cli/data-plane.ts), so outcomes leave within its poll interval.
 */
import type { Db } from '../../registry/db.js';
import type { SecretBox } from '../../registry/crypto.js';
import { CIM_REPLY, queueCimReply } from '../../notify/notifier.js';
import { renderEvent, type Plain, type ReplyTo } from './envelope.js';

interface Watch {
  taskId: string;
  urlEnc: string;
  replyTo: ReplyTo;
  controlType: string;
  issuerTrackingId: string | null;
  approval: string;
  launchId: string | null;
}

/** launch_devices.result → the outcome an MDM reads. */
const OUTCOMES: Record<string, string> = { success: 'completed', partial: 'completed', error: 'failed', absent: 'failed', cancelled: 'cancelled', pending: 'cancelled' };

/** Queues the outcome messages of the watched controls that are done; returns how many were queued. */
export async function reportControlOutcomes(db: Db, box: SecretBox, now = Date.now()): Promise<number> {
  const done = await db.query<Watch>(
    `SELECT w.task_id AS "taskId", w.url_enc AS "urlEnc", w.reply_to AS "replyTo", w.control_type AS "controlType", w.issuer_tracking_id AS "issuerTrackingId",
       t.approval, l.id AS "launchId"
     FROM cim_control_watches w JOIN collection_tasks t ON t.id = w.task_id
     LEFT JOIN LATERAL (SELECT id, state FROM task_launches WHERE task_id = w.task_id ORDER BY created_at DESC LIMIT 1) l ON true
     WHERE t.approval = 'rejected' OR l.state = 'finished' ORDER BY w.created_at LIMIT 100`,
  );
  for (const w of done.rows) {
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
    const out = renderEvent(w.replyTo, 'changed', { EndDeviceControls: { EndDeviceControl: controls } }, now);
    await db.transaction(async (tx) => {
      const gone = await tx.query(`DELETE FROM cim_control_watches WHERE task_id = $1 RETURNING task_id`, [w.taskId]);
      if (gone.rows.length) await queueCimReply(tx, box, box.decrypt(w.urlEnc, CIM_REPLY), out.contentType, out.body, now);
    });
  }
  return done.rows.length;
}
