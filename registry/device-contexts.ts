/**
 * The registry's side of the decoder pool's device contexts (workers/pipeline.ts `DeviceContextSource`):
 * for a device number, the device, its comm line's device profile and protocol with the protocol's secrets
 * opened, the project's event severities (overrides of the profile's) and the archives' retention.
 * Protocol-agnostic: each decoder reads its own section of the profile and its own secrets. Loaded in one query
 * per batch for the devices whose frames need a context, used for `ttlMs`, then revalidated by the rows' stamps
 * (edits of keys, comm lines and profiles apply within `ttlMs`; a meter that pushes every 15 minutes costs a light
 * query, not a reload and a second decode pass), at most `maxEntries` devices (the oldest loaded goes first). The
 * profile is the comm line's pinned version, else the latest.
 *
 * A device's comm line is its enabled one of highest priority (as the scheduler reads it first). A device's
 * M-Bus meter key and SMP-M uplink key (security keys of kind MBUS_AES, XTEA_UPLINK) join its secrets under
 * the kind's name.
 */
import type { DeviceContext, DeviceProfileRef } from '../decoders/protocol-decoder.js';
import type { SecretBox } from './crypto.js';
import type { Db } from './db.js';
import { openSecurityKey, ProtocolStore } from './project-data.js';

export interface RegistryDeviceContextsOptions {
  /**
   * How long a loaded context is used without asking the registry (default 60 s). After that it is
   * revalidated: one light query per batch tells whether any row it was made of changed; unchanged, it is
   * used for another `ttlMs`; changed, it is loaded again.
   */
  ttlMs?: number;
  /** Devices kept at most (default 200,000). */
  maxEntries?: number;
  now?: () => number;
}

interface Row {
  num: number;
  id: string;
  serial: string;
  projectId: string;
  profileId: string | null;
  profileVersion: number | null;
  profileBody: Record<string, unknown> | null;
  protocolId: string | null;
  protocolKind: string | null;
  protocolSettings: Record<string, unknown> | null;
  secretsEnc: string | null;
  severities: Record<string, unknown> | null;
  keys: { id: string; kind: string; keyEnc: string }[] | null;
  stamp: string;
}

/**
 * The rows a device's context is made of: the device, its comm line of highest priority, the line's protocol
 * and profile version, the project's control settings, the meter keys.
 */
const CONTEXT_ROWS = `
         FROM devices d
         LEFT JOIN LATERAL (SELECT c.id, c.xmin, c.profile_id, c.protocol_id, pv.version AS profile_version, pv.xmin AS profile_xmin, pv.body AS profile_body
                              FROM comm_lines c LEFT JOIN device_profiles dp ON dp.id = c.profile_id
                              LEFT JOIN device_profile_versions pv ON pv.profile_id = c.profile_id AND pv.version = coalesce(c.profile_version, dp.version)
                             WHERE c.device_id = d.id AND c.enabled ORDER BY c.priority DESC, c.id LIMIT 1) cl ON true
         LEFT JOIN protocols p ON p.id = cl.protocol_id
         LEFT JOIN control_settings cs ON cs.project_id = d.project_id
         LEFT JOIN LATERAL (SELECT string_agg(k.id || ':' || k.xmin, ',' ORDER BY k.id) AS stamp,
                                   json_agg(json_build_object('id', k.id, 'kind', k.kind, 'keyEnc', k.key_enc)) AS keys
                              FROM security_keys k WHERE k.project_id = d.project_id AND k.device_id = d.id AND k.kind IN ('MBUS_AES', 'XTEA_UPLINK')) k ON true
        WHERE d.num = ANY($1::bigint[]) AND d.status <> 'REMOVED'`;

/**
 * Changes whenever one of those rows changes, whatever wrote it (PostgreSQL's row version, xmin, moves
 * with every update), or another row takes a row's place (the ids, the profile version in use); the
 * archives' retention with them.
 */
const STAMP = `concat_ws('/', d.xmin, cl.id, cl.xmin, p.xmin, cl.profile_version, cl.profile_xmin, cs.xmin, k.stamp,
                         (SELECT string_agg(a.id || ':' || a.xmin, ',' ORDER BY a.id) FROM archives a)) AS stamp`;

interface Entry {
  at: number;
  context: DeviceContext | null;
  /** The rows' stamp when loaded ('' for a device the registry did not have). */
  stamp: string;
}

export class RegistryDeviceContexts {
  readonly #protocols: ProtocolStore;
  readonly #entries = new Map<number, Entry>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(private readonly db: Db, private readonly box: SecretBox, o: RegistryDeviceContextsOptions = {}) {
    this.#protocols = new ProtocolStore(db, box);
    this.#ttlMs = o.ttlMs ?? 60_000;
    this.#max = o.maxEntries ?? 200_000;
    this.#now = o.now ?? Date.now;
  }

  /** The context if it was loaded or revalidated less than `ttlMs` ago. */
  cached(num: number): DeviceContext | null | undefined {
    const e = this.#entries.get(num);
    return e && this.#now() - e.at <= this.#ttlMs ? e.context : undefined;
  }

  /**
   * Of these devices, those whose context has expired but is still held: one query compares their rows'
   * stamps; an unchanged context is kept (the same object) for another `ttlMs`, a changed one is loaded again.
   */
  async revalidate(nums: number[]): Promise<void> {
    const now = this.#now();
    const held = nums.filter((n) => {
      const e = this.#entries.get(n);
      return e !== undefined && now - e.at > this.#ttlMs;
    });
    if (!held.length) return;
    const q = await this.db.query<{ num: number; stamp: string }>(`SELECT d.num, ${STAMP} ${CONTEXT_ROWS}`, [held]);
    const stamps = new Map(q.rows.map((r) => [Number(r.num), r.stamp]));
    const changed: number[] = [];
    for (const n of held) {
      const e = this.#entries.get(n);
      if (!e) continue;
      if ((stamps.get(n) ?? '') === e.stamp) e.at = now;
      else changed.push(n);
    }
    if (changed.length) await this.load(changed);
  }

  async load(nums: number[]): Promise<Map<number, DeviceContext | null>> {
    const q = await this.db.query<Row>(
      `SELECT d.num, d.id, d.serial_number AS serial, d.project_id AS "projectId", cl.profile_id AS "profileId", cl.profile_version AS "profileVersion", cl.profile_body AS "profileBody",
              p.id AS "protocolId", p.kind AS "protocolKind", p.settings AS "protocolSettings", p.secrets_enc AS "secretsEnc",
              cs.event_severities AS severities, k.keys, ${STAMP} ${CONTEXT_ROWS}`,
      [nums],
    );
    // Archive retention (a handful of rows): for the rows of pushes, whose frames carry no decoding context.
    const archives = await this.db.query<{ id: string; days: number }>(
      'SELECT id, CASE WHEN never_purge THEN 0 ELSE least(ceil(retention_seconds / 86400.0), 65535)::int END AS days FROM archives',
    );
    const retentionDays = Object.fromEntries(archives.rows.map((a) => [a.id, Number(a.days)]));
    const profiles = new Map<string, DeviceProfileRef>();
    const found = new Map<number, DeviceContext | null>(nums.map((n) => [n, null]));
    const stamps = new Map<number, string>();
    for (const r of q.rows) {
      let profile: DeviceProfileRef | null = null;
      if (r.profileId && r.profileBody) {
        const key = `${r.profileId}@${r.profileVersion}`;
        profile = profiles.get(key) ?? null;
        if (!profile) {
          profile = { id: r.profileId, version: String(r.profileVersion), body: r.profileBody };
          profiles.set(key, profile);
        }
      }
      const secrets = r.protocolId ? this.#protocols.secrets({ id: r.protocolId, secretsEnc: r.secretsEnc }) : {};
      for (const k of r.keys ?? []) secrets[k.kind] = openSecurityKey(this.box, k);
      found.set(Number(r.num), {
        num: Number(r.num), id: r.id, serial: r.serial, projectId: r.projectId, profile,
        protocol: r.protocolKind ? { kind: r.protocolKind, settings: r.protocolSettings ?? {} } : null,
        secrets,
        overrides: r.severities && Object.keys(r.severities).length ? { severities: r.severities } : {},
        retentionDays,
      });
      stamps.set(Number(r.num), r.stamp);
    }
    const at = this.#now();
    for (const [num, context] of found) {
      this.#entries.delete(num);
      if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value!);
      this.#entries.set(num, { at, context, stamp: stamps.get(num) ?? '' });
    }
    return found;
  }
}
