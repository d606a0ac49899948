/**
 * The firmware role of the scheduler: runs the devices' firmware updates (registry/firmware.ts) through the
 * DLMS reader's sessions, one ImageTransfer per session, and moves campaigns from wave to wave.
 * Everything it decides is in PostgreSQL, as for collection launches (scheduler.ts):
 *   - an update in state running is claimed with a row lock and kept by a heartbeat that also writes its
 *     progress; a stale lease (a HES killed mid-transfer) is claimed again, and the transfer goes on from
 *     the meter's transferred-blocks status because the update records that this HES initiated the image;
 *   - a meter whose collection launch is reading it waits ("waiting-collection") and is looked at again later;
 *   - sessions go through the SessionGate, so channel, segment (GPRS cell, gateway) and process limits hold
 *     for firmware as for collection; a campaign adds its own maximum parallelism and a daily time window;
 *   - a failed session is retried after a delay up to the update's attempts; the meter's refusals are final.
 * Campaigns: the updates of wave n+1 start when wave n has finished with a success share at or above the
 * threshold; an error share above the campaign's threshold stops it (during the wave already).
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../registry/db.js';
import { recordEvent, type GeneralEvent } from '../registry/events.js';
import { stopCampaignUpdates, type UpdateSettings } from '../registry/firmware.js';
import type { ServiceLogWriter } from '../registry/service-log.js';
import { SessionError } from '../ingest/session/errors.js';
import { inQuietPeriod } from '../notify/match.js';
import { ImageTransfer, ImageTransferError, type TransferAction, type TransferOutcome } from './image-transfer.js';
import { LinkError, openGate, type DeviceReader, type DeviceTarget, type SessionGate } from './reader.js';
import { commLines, segmentOf } from './scheduler.js';

export interface FirmwareRunnerOptions {
  db: Db;
  reader: DeviceReader;
  gate?: SessionGate;
  instanceId?: string;
  now?: () => number;
  /** How often runnable updates and running campaigns are looked at (default 1 s). */
  pollMs?: number;
  heartbeatMs?: number;
  /** A running update whose heartbeat is older than this is taken over (default 30 s). */
  leaseMs?: number;
  /** Transfers at once in this process (default 100). */
  concurrency?: number;
  /** After a session that failed or could not be opened (default 60 s). */
  retryDelayMs?: number;
  /** A meter whose collection is running is looked at again after this (default 10 s). */
  collectionWaitMs?: number;
  /** A meter that restarts on activation is asked for its version after this (default 30 s). */
  restartWaitMs?: number;
  /** Status reads while the meter verifies: interval (default 1 s). */
  verifyPollMs?: number;
  log?: ServiceLogWriter;
}

interface ClaimedUpdate {
  id: string;
  projectId: string;
  deviceId: string;
  imageId: string;
  campaignId: string | null;
  settings: UpdateSettings;
  initiated: boolean;
  attempts: number;
  versionBefore: string | null;
}

interface Image {
  content: Uint8Array;
  identifier: Uint8Array;
  version: string;
}

/** Progress of one running transfer not written yet (written with each heartbeat and at the end). */
interface Running {
  abort: AbortController;
  blocksTotal: number;
  blocksDone: number;
  flushed: { sent: number; resent: number; bytes: number };
  transfer?: ImageTransfer;
}

const iso = (ms: number) => new Date(ms).toISOString();
const IMAGES_KEPT = 8;

export class FirmwareRunner {
  readonly instanceId: string;
  readonly #o: Required<Omit<FirmwareRunnerOptions, 'log' | 'instanceId'>> & Pick<FirmwareRunnerOptions, 'log'>;
  readonly #running = new Map<string, Running>();
  readonly #images = new Map<string, Image>();
  #timer: NodeJS.Timeout | undefined;
  #beat: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #stopped = false;
  /** Crashed (tests): nothing more is written, as after kill -9. */
  #crashed = false;

  constructor(o: FirmwareRunnerOptions) {
    this.instanceId = o.instanceId ?? `fw-${randomUUID()}`;
    this.#o = {
      gate: openGate, now: Date.now, pollMs: 1000, heartbeatMs: 5000, leaseMs: 30_000, concurrency: 100, retryDelayMs: 60_000,
      collectionWaitMs: 10_000, restartWaitMs: 30_000, verifyPollMs: 1000, ...o,
    };
  }

  get active(): number {
    return this.#running.size;
  }

  start(): void {
    this.#stopped = false;
    this.#timer = setInterval(() => void this.tick(), this.#o.pollMs);
    this.#beat = setInterval(() => void this.#heartbeat(), this.#o.heartbeatMs);
  }

  /** Stops claiming; running transfers are cut (they resume where the meter is, by this or another instance). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    clearInterval(this.#beat);
    for (const r of this.#running.values()) r.abort.abort(new Error('stopping'));
    await this.#ticking;
    const deadline = Date.now() + 10_000;
    while (this.#running.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  /** As kill -9 would: transports cut, no record written, leases left to go stale (tests). */
  crash(): void {
    this.#crashed = this.#stopped = true;
    clearInterval(this.#timer);
    clearInterval(this.#beat);
    for (const r of this.#running.values()) r.abort.abort(new Error('crash'));
  }

  /** One round: campaigns first (their waves decide what may run), then claim what capacity allows. */
  tick(): Promise<void> {
    if (this.#ticking || this.#stopped) return this.#ticking ?? Promise.resolve();
    this.#ticking = (async () => {
      try {
        await this.campaigns();
        const free = this.#o.concurrency - this.#running.size;
        if (free > 0) for (const u of await this.#claim(free)) void this.#run(u);
      } catch (e) {
        this.#o.log?.write('error', 'scheduler', 'firmware', `firmware round failed: ${(e as Error).message}`);
      } finally {
        this.#ticking = undefined;
      }
    })();
    return this.#ticking;
  }

  /** Waits until no update is runnable or running, or the timeout passes (tests, the benchmark). */
  async drain(timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      await this.tick();
      const open = await this.#o.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM firmware_updates u LEFT JOIN firmware_campaigns c ON c.id = u.campaign_id
         WHERE u.state IN ('running', 'waiting-collection') AND (c.id IS NULL OR c.state = 'running')`,
      );
      if (!open.rows[0]!.n && !this.#running.size) return;
      if (Date.now() > until) throw new Error(`firmware updates still open after ${timeoutMs} ms: ${open.rows[0]!.n} (${this.#running.size} running here)`);
      await new Promise((r) => setTimeout(r, this.#o.pollMs));
    }
  }

  async #claim(limit: number): Promise<ClaimedUpdate[]> {
    const { db } = this.#o;
    const now = this.#o.now();
    return db.transaction(async (tx) => {
      const candidates = await tx.query<ClaimedUpdate & { maxParallel: number | null; windowStart: string | null; windowEnd: string | null; timeZone: string; running: number }>(
        `SELECT u.id, u.project_id AS "projectId", u.device_id AS "deviceId", u.image_id AS "imageId", u.campaign_id AS "campaignId", u.settings,
                u.initiated, u.attempts, u.version_before AS "versionBefore",
                c.max_parallel AS "maxParallel", c.window_start AS "windowStart", c.window_end AS "windowEnd", p.time_zone AS "timeZone",
                (SELECT count(*) FROM firmware_updates r WHERE r.campaign_id = u.campaign_id AND r.claimed_by IS NOT NULL AND r.heartbeat_at >= $2::timestamptz)::int AS running
         FROM firmware_updates u JOIN projects p ON p.id = u.project_id LEFT JOIN firmware_campaigns c ON c.id = u.campaign_id
         WHERE u.state IN ('running', 'waiting-collection')
           AND (u.claimed_by IS NULL OR u.heartbeat_at < $2::timestamptz)
           AND (u.not_before IS NULL OR u.not_before <= $1::timestamptz)
           AND (c.id IS NULL OR (c.state = 'running' AND u.wave <= c.current_wave))
         ORDER BY u.wave NULLS FIRST, u.created_at, u.id
         LIMIT $3 FOR UPDATE OF u SKIP LOCKED`,
        [iso(now), iso(now - this.#o.leaseMs), limit * 4],
      );
      const taken: ClaimedUpdate[] = [];
      const perCampaign = new Map<string, number>();
      for (const c of candidates.rows) {
        if (taken.length >= limit || this.#running.has(c.id)) continue;
        if (c.campaignId) {
          const running = perCampaign.get(c.campaignId) ?? c.running;
          if (c.maxParallel !== null && running >= c.maxParallel) continue;
          if (c.windowStart && c.windowEnd && !inQuietPeriod({ from: c.windowStart, to: c.windowEnd }, c.timeZone, now)) continue;
          perCampaign.set(c.campaignId, running + 1);
        }
        taken.push(c);
      }
      if (taken.length) {
        await tx.query(
          `UPDATE firmware_updates SET claimed_by = $2, heartbeat_at = $3::timestamptz, started_at = coalesce(started_at, $3::timestamptz), last_activity_at = $3::timestamptz
           WHERE id = ANY($1::uuid[])`,
          [taken.map((u) => u.id), this.instanceId, iso(now)],
        );
      }
      return taken;
    });
  }

  async #image(projectId: string, id: string): Promise<Image> {
    const kept = this.#images.get(id);
    if (kept) return kept;
    const r = await this.#o.db.query<{ content: Uint8Array; identifier: Uint8Array; version: string }>(
      `SELECT b.content, i.image_identifier AS identifier, i.version FROM firmware_images i JOIN firmware_blobs b ON b.sha256 = i.sha256 WHERE i.project_id = $1 AND i.id = $2`,
      [projectId, id],
    );
    const image = r.rows[0]!;
    if (this.#images.size >= IMAGES_KEPT) this.#images.delete(this.#images.keys().next().value!);
    this.#images.set(id, image);
    return image;
  }

  /** Writes a change of state or action with its history row; false when this instance no longer owns the update. */
  async #note(id: string, deviceId: string, state: string, action: TransferAction | null, note: string, extra = ''): Promise<boolean> {
    if (this.#crashed) return false;
    const r = await this.#o.db.query(
      `UPDATE firmware_updates SET state = $3, action = $4, note = $5, last_activity_at = $6::timestamptz${extra} WHERE id = $1 AND claimed_by = $2`,
      [id, this.instanceId, state, action, note, iso(this.#o.now())],
    );
    if (!r.rowCount) return false;
    await this.#o.db.query('INSERT INTO firmware_update_history (update_id, device_id, state, action, note) VALUES ($1, $2, $3, $4, $5)', [id, deviceId, state, action, note]);
    return true;
  }

  async #collectionRunning(deviceId: string): Promise<boolean> {
    const r = await this.#o.db.query(
      `SELECT 1 FROM launch_devices ld JOIN task_launches l ON l.id = ld.launch_id WHERE ld.device_id = $1 AND ld.result = 'pending' AND l.state = 'running' LIMIT 1`,
      [deviceId],
    );
    return r.rows.length > 0;
  }

  async #run(u: ClaimedUpdate): Promise<void> {
    const { db } = this.#o;
    const running: Running = { abort: new AbortController(), blocksTotal: 0, blocksDone: 0, flushed: { sent: 0, resent: 0, bytes: 0 } };
    this.#running.set(u.id, running);
    const startedAt = this.#o.now();
    const release = async (state: string, note: string, notBeforeMs: number | null, extra = '', args: unknown[] = []) => {
      if (this.#crashed) return;
      await this.#flush(u.id, running);
      const r = await db.query(
        `UPDATE firmware_updates SET state = $3, note = $4, claimed_by = NULL, not_before = $5::timestamptz, last_activity_at = $6::timestamptz,
                transfer_ms = transfer_ms + $7${extra}
         WHERE id = $1 AND claimed_by = $2`,
        [u.id, this.instanceId, state, note, notBeforeMs === null ? null : iso(notBeforeMs), iso(this.#o.now()), this.#o.now() - startedAt, ...args],
      );
      if (!r.rowCount) return; // stopped by a user meanwhile: their record stands
      await db.query('INSERT INTO firmware_update_history (update_id, device_id, state, action, note) VALUES ($1, $2, $3, NULL, $4)', [u.id, u.deviceId, state, note]);
    };
    try {
      if (await this.#collectionRunning(u.deviceId)) {
        await release('waiting-collection', 'a collection task is reading the meter', this.#o.now() + this.#o.collectionWaitMs);
        return;
      }
      const image = await this.#image(u.projectId, u.imageId);
      const device = (await db.query<DeviceTarget>(
        'SELECT id, num::float8 AS num, project_id AS "projectId", serial_number AS "serialNumber", type FROM devices WHERE id = $1', [u.deviceId],
      )).rows[0]!;
      const lines = await commLines(db, u.deviceId);
      let outcome: TransferOutcome | undefined;
      let failure = lines.length ? '' : 'the device has no enabled comm line';
      for (const line of lines) {
        if (running.abort.signal.aborted) break;
        try {
          outcome = await this.#o.gate.run({ channelId: line.channelId, exclusive: line.exclusive, segment: segmentOf(line), priority: 900 }, async () => {
            const link = await this.#o.reader.open(device, line, running.abort.signal);
            try {
              await db.query('UPDATE firmware_updates SET sessions = sessions + 1 WHERE id = $1', [u.id]);
              const fw = link.firmware?.();
              if (!fw) throw new ImageTransferError('version-query', `the device profile of comm line ${line.id} names no Image Transfer object`, 'unsupported');
              const s = u.settings;
              const transfer = new ImageTransfer(fw.session, {
                imageTransferObis: fw.imageTransferObis, firmwareVersionObis: fw.firmwareVersionObis,
                maxPdu: Math.min(fw.maxPdu, s.maxPdu ?? Infinity), ciphered: fw.ciphered,
                identifier: image.identifier, image: image.content, version: image.version,
                resume: u.initiated, forceClean: s.forceClean === true && !u.initiated, versionOnly: s.versionOnly === true,
                activate: !s.activateAt || Date.parse(s.activateAt) <= this.#o.now(), blockAttempts: s.blockAttempts ?? 3, verifyPollMs: this.#o.verifyPollMs,
              }, {
                action: async (a) => {
                  if (!(await this.#note(u.id, u.deviceId, 'running', a, ''))) running.abort.abort(new Error('lost'));
                },
                started: async (g) => {
                  running.blocksTotal = g.totalBlocks;
                  running.blocksDone = g.held;
                  await db.query(
                    `UPDATE firmware_updates SET initiated = true, blocks_total = $2, blocks_done = $3 WHERE id = $1`, [u.id, g.totalBlocks, g.held],
                  );
                  u.initiated = true;
                  if (!g.initiated) await this.#note(u.id, u.deviceId, 'running', 'send-blocks', `resumed: the meter holds ${g.held} of ${g.totalBlocks} blocks`);
                },
                block: (_n, done) => {
                  running.blocksDone = done;
                },
              });
              running.transfer = transfer;
              if (u.versionBefore === null) {
                u.versionBefore = await transfer.version();
                await db.query('UPDATE firmware_updates SET version_before = $2 WHERE id = $1', [u.id, u.versionBefore]);
              }
              return await transfer.run();
            } finally {
              await link.close().catch(() => undefined);
            }
          });
          break;
        } catch (e) {
          if (e instanceof LinkError) {
            failure = e.message;
            continue;
          }
          if (e instanceof SessionError) {
            failure = e.message;
            break;
          }
          throw e;
        }
      }
      if (outcome) {
        if (outcome.result === 'success') {
          await release('success', outcome.note, null, ', finished_at = $8::timestamptz, version_after = $9, blocks_done = blocks_total, action = NULL', [iso(this.#o.now()), outcome.version]);
        } else if (outcome.result === 'verified') {
          await release('running', outcome.note, Date.parse(u.settings.activateAt!));
        } else {
          await release('running', outcome.note, this.#o.now() + this.#o.restartWaitMs);
        }
        return;
      }
      if (running.abort.signal.aborted) {
        await this.#flush(u.id, running);
        return; // stopped by a user, a paused campaign, or this instance stopping: the record says what holds
      }
      const attempts = u.attempts + 1;
      const max = u.settings.attempts ?? 5;
      if (attempts >= max) {
        await release('error', `no session completed in ${attempts} attempt(s): ${failure}`, null, ', attempts = $8, finished_at = $9::timestamptz', [attempts, iso(this.#o.now())]);
      } else {
        await release('running', `attempt ${attempts} of ${max} failed: ${failure}; next in ${Math.round(this.#o.retryDelayMs / 1000)} s`, this.#o.now() + this.#o.retryDelayMs, ', attempts = $8', [attempts]);
      }
    } catch (e) {
      if (e instanceof ImageTransferError) {
        await release('error', e.message, null, ', finished_at = $8::timestamptz', [iso(this.#o.now())]);
      } else if (running.abort.signal.aborted) {
        await this.#flush(u.id, running).catch(() => undefined);
      } else {
        this.#o.log?.write('error', 'scheduler', 'firmware', `firmware update ${u.id} failed: ${(e as Error).message}`, { updateId: u.id, deviceId: u.deviceId });
        await release('running', `internal error: ${(e as Error).message}`, this.#o.now() + this.#o.retryDelayMs).catch(() => undefined);
      }
    } finally {
      this.#running.delete(u.id);
    }
  }

  /** Writes progress and the statistics added since the last write. */
  async #flush(id: string, r: Running): Promise<void> {
    const s = r.transfer?.stats;
    if (!s || this.#crashed) return;
    const d = { sent: s.blocksSent - r.flushed.sent, resent: s.blocksResent - r.flushed.resent, bytes: s.bytesSent - r.flushed.bytes };
    r.flushed = { sent: s.blocksSent, resent: s.blocksResent, bytes: s.bytesSent };
    await this.#o.db.query(
      `UPDATE firmware_updates SET blocks_done = $2, blocks_sent = blocks_sent + $3, blocks_resent = blocks_resent + $4, bytes_sent = bytes_sent + $5 WHERE id = $1`,
      [id, r.blocksDone, d.sent, d.resent, d.bytes],
    );
  }

  /** Keeps the leases, writes progress, and cuts transfers a user stopped or whose campaign is no longer running. */
  async #heartbeat(): Promise<void> {
    if (!this.#running.size) return;
    const ids = [...this.#running.keys()];
    try {
      const r = await this.#o.db.query<{ id: string }>(
        `UPDATE firmware_updates u SET heartbeat_at = $3::timestamptz FROM firmware_updates x LEFT JOIN firmware_campaigns c ON c.id = x.campaign_id
         WHERE u.id = x.id AND u.id = ANY($1::uuid[]) AND u.claimed_by = $2 AND u.state IN ('running', 'waiting-collection') AND (c.id IS NULL OR c.state = 'running')
         RETURNING u.id`,
        [ids, this.instanceId, iso(this.#o.now())],
      );
      const kept = new Set(r.rows.map((x) => x.id));
      for (const id of ids) {
        const run = this.#running.get(id);
        if (!run) continue;
        if (!kept.has(id)) run.abort.abort(new Error('stopped'));
        else await this.#flush(id, run);
      }
    } catch (e) {
      this.#o.log?.write('warning', 'scheduler', 'firmware', `firmware heartbeat failed: ${(e as Error).message}`);
    }
  }

  /** Moves running campaigns on: stop on the error share, open the next wave, finish after the last. */
  async campaigns(): Promise<void> {
    const { db } = this.#o;
    const r = await db.query<{ id: string; projectId: string; name: string; currentWave: number; waves: number; successThreshold: number; errorThreshold: number }>(
      `SELECT c.id, c.project_id AS "projectId", c.name, c.current_wave AS "currentWave", jsonb_array_length(c.waves) AS waves,
              c.success_threshold AS "successThreshold", c.error_threshold AS "errorThreshold"
       FROM firmware_campaigns c WHERE c.state = 'running'`,
    );
    for (const c of r.rows) {
      const w = (await db.query<{ total: number; success: number; error: number; open: number }>(
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE state = 'success')::int AS success, count(*) FILTER (WHERE state = 'error')::int AS error,
                count(*) FILTER (WHERE state IN ('running', 'waiting-collection'))::int AS open
         FROM firmware_updates WHERE campaign_id = $1 AND wave = $2`,
        [c.id, c.currentWave],
      )).rows[0]!;
      const errorShare = w.total ? w.error / w.total : 0;
      if (errorShare > c.errorThreshold) {
        await this.#endCampaign(c, 'stopped', `wave ${c.currentWave + 1}: ${w.error} of ${w.total} updates in error, above the threshold ${c.errorThreshold}`);
        continue;
      }
      if (w.open) continue;
      const successShare = w.total ? w.success / w.total : 1;
      if (successShare < c.successThreshold) {
        await this.#endCampaign(c, 'stopped', `wave ${c.currentWave + 1}: ${w.success} of ${w.total} succeeded, below the threshold ${c.successThreshold}`);
        continue;
      }
      if (c.currentWave + 1 >= c.waves) {
        await this.#endCampaign(c, 'finished', `all ${c.waves} wave(s) done`);
        continue;
      }
      const next = c.currentWave + 1;
      const moved = await db.query(`UPDATE firmware_campaigns SET current_wave = $2, version = version + 1 WHERE id = $1 AND state = 'running' AND current_wave = $3`, [c.id, next, c.currentWave]);
      if (!moved.rowCount) continue;
      const opened = await db.query<{ id: string; device_id: string }>(
        `UPDATE firmware_updates SET state = 'running', note = '' WHERE campaign_id = $1 AND wave = $2 AND state = 'stopped' RETURNING id, device_id`, [c.id, next],
      );
      await db.query(
        `INSERT INTO firmware_update_history (update_id, device_id, state, note) SELECT x.id, x.d, 'running', $3 FROM unnest($1::uuid[], $2::uuid[]) AS x(id, d)`,
        [opened.rows.map((x) => x.id), opened.rows.map((x) => x.device_id), `wave ${next + 1} of campaign ${c.name} started`],
      );
      await this.#event(c.projectId, 'FIRMWARE_CAMPAIGN_WAVE', 'info', { campaignId: c.id, wave: next + 1, devices: opened.rows.length, previous: { success: w.success, error: w.error, total: w.total } });
    }
  }

  async #endCampaign(c: { id: string; projectId: string }, state: 'stopped' | 'finished', note: string): Promise<void> {
    const { db } = this.#o;
    const r = await db.query(
      `UPDATE firmware_campaigns SET state = $2, note = $3, finished_at = $4::timestamptz, version = version + 1 WHERE id = $1 AND state = 'running'`,
      [c.id, state, note, iso(this.#o.now())],
    );
    if (!r.rowCount) return;
    if (state === 'stopped') await stopCampaignUpdates(db, c.id, `campaign stopped: ${note}`);
    await this.#event(c.projectId, state === 'stopped' ? 'FIRMWARE_CAMPAIGN_STOPPED' : 'FIRMWARE_CAMPAIGN_FINISHED', state === 'stopped' ? 'warning' : 'info', { campaignId: c.id, note });
  }

  async #event(projectId: string, code: GeneralEvent, level: 'info' | 'warning', params: Record<string, unknown>): Promise<void> {
    await recordEvent(this.#o.db, { category: 'general', code, level, projectId, username: 'scheduler', params });
  }
}
