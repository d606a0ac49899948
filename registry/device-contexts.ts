/**
 * The registry's side of the decoder pool's device contexts (workers/pipeline.ts `DeviceContextSource`):
 * for a device number, the device, its comm line's device profile and protocol with the protocol's secrets
 * opened, the project's event severities (overrides of the profile's) and the archives' retention.
 * Protocol-agnostic: each decoder reads its own section of the profile and its own secrets. Loaded in one query
 * per batch for the devices whose frames need a context, kept for `ttlMs` (edits of keys and new profile
 * versions apply after that) and at most `maxEntries` devices (the oldest loaded goes first). The profile is
 * the comm line's pinned version, else the latest.
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
  /** How long a loaded context is used (default 60 s). */
  ttlMs?: number;
  /** Devices kept at most (default 200,000). */
  maxEntries?: number;
  now?: () => number;
}

interface Row {
  num: number;
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
}

export class RegistryDeviceContexts {
  readonly #protocols: ProtocolStore;
  readonly #entries = new Map<number, { at: number; context: DeviceContext | null }>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(private readonly db: Db, private readonly box: SecretBox, o: RegistryDeviceContextsOptions = {}) {
    this.#protocols = new ProtocolStore(db, box);
    this.#ttlMs = o.ttlMs ?? 60_000;
    this.#max = o.maxEntries ?? 200_000;
    this.#now = o.now ?? Date.now;
  }

  cached(num: number): DeviceContext | null | undefined {
    const e = this.#entries.get(num);
    if (!e) return undefined;
    if (this.#now() - e.at > this.#ttlMs) {
      this.#entries.delete(num);
      return undefined;
    }
    return e.context;
  }

  async load(nums: number[]): Promise<Map<number, DeviceContext | null>> {
    const q = await this.db.query<Row>(
      `SELECT d.num, d.serial_number AS serial, d.project_id AS "projectId", cl.profile_id AS "profileId", pv.version AS "profileVersion", pv.body AS "profileBody",
              p.id AS "protocolId", p.kind AS "protocolKind", p.settings AS "protocolSettings", p.secrets_enc AS "secretsEnc",
              cs.event_severities AS severities
         FROM devices d
         LEFT JOIN LATERAL (SELECT c.profile_id, c.profile_version, c.protocol_id FROM comm_lines c WHERE c.device_id = d.id AND c.enabled
                             ORDER BY c.priority DESC, c.id LIMIT 1) cl ON true
         LEFT JOIN protocols p ON p.id = cl.protocol_id
         LEFT JOIN device_profiles dp ON dp.id = cl.profile_id
         LEFT JOIN device_profile_versions pv ON pv.profile_id = cl.profile_id AND pv.version = coalesce(cl.profile_version, dp.version)
         LEFT JOIN control_settings cs ON cs.project_id = d.project_id
        WHERE d.num = ANY($1::bigint[]) AND d.status <> 'REMOVED'`,
      [nums],
    );
    const meterKeys = await this.db.query<{ num: string; id: string; kind: string; keyEnc: string }>(
      `SELECT d.num, k.id, k.kind, k.key_enc AS "keyEnc" FROM security_keys k JOIN devices d ON d.id = k.device_id AND d.project_id = k.project_id
        WHERE d.num = ANY($1::bigint[]) AND k.kind IN ('MBUS_AES', 'XTEA_UPLINK')`,
      [nums],
    );
    const keysOf = new Map<number, typeof meterKeys.rows>();
    for (const k of meterKeys.rows) keysOf.set(Number(k.num), [...(keysOf.get(Number(k.num)) ?? []), k]);
    // Archive retention (a handful of rows): for the rows of pushes, whose frames carry no decoding context.
    const archives = await this.db.query<{ id: string; days: number }>(
      'SELECT id, CASE WHEN never_purge THEN 0 ELSE least(ceil(retention_seconds / 86400.0), 65535)::int END AS days FROM archives',
    );
    const retentionDays = Object.fromEntries(archives.rows.map((a) => [a.id, Number(a.days)]));
    const profiles = new Map<string, DeviceProfileRef>();
    const found = new Map<number, DeviceContext | null>(nums.map((n) => [n, null]));
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
      found.set(Number(r.num), {
        num: Number(r.num), serial: r.serial, projectId: r.projectId, profile,
        protocol: r.protocolKind ? { kind: r.protocolKind, settings: r.protocolSettings ?? {} } : null,
        secrets: withDeviceKeys(r.protocolId ? this.#protocols.secrets({ id: r.protocolId, secretsEnc: r.secretsEnc }) : {}, keysOf.get(Number(r.num)) ?? [], this.box),
        overrides: r.severities && Object.keys(r.severities).length ? { severities: r.severities } : {},
        retentionDays,
      });
    }
    const at = this.#now();
    for (const [num, context] of found) {
      this.#entries.delete(num);
      if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value!);
      this.#entries.set(num, { at, context });
    }
    return found;
  }
}

function withDeviceKeys(secrets: Record<string, string>, keys: { id: string; kind: string; keyEnc: string }[], box: SecretBox): Record<string, string> {
  for (const k of keys) secrets[k.kind] = openSecurityKey(box, k);
  return secrets;
}
