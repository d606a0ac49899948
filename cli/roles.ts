/**
 * The roles one `hes start` process runs (docs/deployment.md). Default: all of them, as one process did
 * before roles existed. A role named here whose part is not built into this version yet is accepted and
 * starts nothing (UNB until its connector lands), so that a deployment can name it ahead of time; a new
 * role is one more name here and its start in cli/start.ts.
 */
import { ConfigError } from '../config/index.js';

export const ROLES = ['api', 'scheduler', 'pipeline', 'cenc', 'push', 'lorawan', 'unb'] as const;
export type Role = (typeof ROLES)[number];

/** What each role starts (help text and docs). */
export const ROLE_PARTS: Record<Role, string> = {
  api: 'the REST API (with the wM-Bus and ChirpStack HTTP intakes)',
  scheduler: 'fires tasks, owns launches and reads HES-initiated meters',
  pipeline: 'the bus consumer: decoder pool, ClickHouse inserts, notifications, devices_dim',
  cenc: 'CENC listeners and AMR agents; reads the meters whose connections it holds',
  push: 'the wM-Bus gateway MQTT feed',
  lorawan: 'the ChirpStack MQTT integration',
  unb: 'UNB (accepted; starts nothing until the UNB connector is built into this version)',
};

/** Roles accepted whose part this version does not have yet. */
export const NOT_BUILT: ReadonlySet<Role> = new Set<Role>(['unb']);

const isRole = (r: string): r is Role => (ROLES as readonly string[]).includes(r);

/** The roles of a list ("api,scheduler" or its items); empty = every role. */
export function parseRoles(list: readonly string[], origin = 'node.roles'): ReadonlySet<Role> {
  const items = list.flatMap((r) => r.split(',')).map((r) => r.trim().toLowerCase()).filter(Boolean);
  if (!items.length) return new Set(ROLES);
  const unknown = items.filter((r) => !isRole(r));
  if (unknown.length) throw new ConfigError(`${origin}: unknown role ${unknown.map((r) => JSON.stringify(r)).join(', ')} (roles: ${ROLES.join(', ')})`);
  return new Set(items as Role[]);
}
