/**
 * The roles one `hes start` process runs (docs/deployment.md). Default: all of them, as one process did
 * before roles existed. A new role is one more name here and its start in cli/start.ts.
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
  unb: 'the UNB base-station service (POST /api/UnbBS/v1/messages; an API route, so with the api role)',
};

const isRole = (r: string): r is Role => (ROLES as readonly string[]).includes(r);

/** The roles of a list ("api,scheduler" or its items); empty = every role. */
export function parseRoles(list: readonly string[], origin = 'node.roles'): ReadonlySet<Role> {
  const items = list.flatMap((r) => r.split(',')).map((r) => r.trim().toLowerCase()).filter(Boolean);
  if (!items.length) return new Set(ROLES);
  const unknown = items.filter((r) => !isRole(r));
  if (unknown.length) throw new ConfigError(`${origin}: unknown role ${unknown.map((r) => JSON.stringify(r)).join(', ')} (roles: ${ROLES.join(', ')})`);
  return new Set(items as Role[]);
}
