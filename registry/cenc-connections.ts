/**
 * The meter connections a CENC node holds, in the registry (cenc_connections) with a lease the node renews:
 * the scheduler routes a launch's device to the node holding its connection (scheduler.ts #claimable), so
 * a launch started anywhere reads a CENC meter where its socket is. The node records a connection when the
 * meter is bound and drops it when the socket closes; a meter that reconnects to another node moves its row
 * there (the old node's late "disconnected" touches only its own rows); the rows of a node that died go
 * stale when their lease runs out. It wraps the node's device directory, whose connection events it follows.
 */
import type { DeviceDirectory, DeviceEvent, DeviceIdentity, DeviceRecord } from '../ingest/cenc/directory.js';
import type { Db } from './db.js';

export interface CencConnectionsOptions {
  db: Db;
  /** The directory CENC would use without it (registry/cenc-directory.ts). */
  directory: DeviceDirectory;
  /** This node, as the scheduler names it (Scheduler.instanceId). */
  nodeId: string;
  /** How long a recorded connection counts without renewal; renewed every third of it. */
  leaseMs: number;
  /** host:port other nodes reach this node's AMR agent port at, if it has one. */
  agentAddress?: string;
  onError?: (e: unknown, context: string) => void;
  now?: () => number;
}

export class CencConnections implements DeviceDirectory {
  readonly #o: Required<Omit<CencConnectionsOptions, 'onError' | 'agentAddress'>> & Pick<CencConnectionsOptions, 'onError' | 'agentAddress'>;
  #timer: NodeJS.Timeout | undefined;

  constructor(o: CencConnectionsOptions) {
    this.#o = { now: Date.now, ...o };
  }

  find(identity: DeviceIdentity): Promise<DeviceRecord | undefined> {
    return this.#o.directory.find(identity);
  }

  register(identity: DeviceIdentity, projectId: string): Promise<DeviceRecord> {
    return this.#o.directory.register(identity, projectId);
  }

  get(deviceId: string): Promise<DeviceRecord | undefined> {
    return this.#o.directory.get(deviceId);
  }

  projectForPort(port: number): Promise<string | undefined> {
    return this.#o.directory.projectForPort(port);
  }

  async recordEvent(e: DeviceEvent): Promise<void> {
    await this.#o.directory.recordEvent(e);
    if (e.deviceId === undefined) return;
    const { db, nodeId } = this.#o;
    if (e.type === 'connected') {
      await db.query(
        `INSERT INTO cenc_connections (device_id, node_id, remote, connected_at, lease_until, agent_address, port, identity_kind, identity_value)
         VALUES ($1, $2, $3, $4::timestamptz, $5::timestamptz, $6, $7, $8, $9)
         ON CONFLICT (device_id) DO UPDATE SET node_id = EXCLUDED.node_id, remote = EXCLUDED.remote, connected_at = EXCLUDED.connected_at,
           lease_until = EXCLUDED.lease_until, agent_address = EXCLUDED.agent_address, port = EXCLUDED.port,
           identity_kind = EXCLUDED.identity_kind, identity_value = EXCLUDED.identity_value`,
        [e.deviceId, nodeId, e.remote, new Date(e.at).toISOString(), this.#until(), this.#o.agentAddress ?? null, e.port, e.identity?.kind ?? null, e.identity?.value ?? null],
      );
    } else if (e.type === 'disconnected') {
      await db.query('DELETE FROM cenc_connections WHERE device_id = $1 AND node_id = $2', [e.deviceId, nodeId]);
    }
  }

  /** The agent port of the live node holding a device's connection, when another node holds it and has one. */
  async agentAddressOf(deviceId: string): Promise<{ host: string; port: number } | undefined> {
    const r = await this.#o.db.query<{ address: string | null }>(
      'SELECT agent_address AS address FROM cenc_connections WHERE device_id = $1 AND node_id <> $2 AND lease_until > $3::timestamptz',
      [deviceId, this.#o.nodeId, new Date(this.#o.now()).toISOString()],
    );
    const m = /^(.+):(\d+)$/.exec(r.rows[0]?.address ?? '');
    return m ? { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) } : undefined;
  }

  /** Starts renewing this node's leases. */
  start(): void {
    this.#timer ??= setInterval(() => void this.renew().catch((e: unknown) => this.#o.onError?.(e, 'renewing the leases of the held connections')), Math.max(100, this.#o.leaseMs / 3));
  }

  /** Renews the lease of every connection this node recorded. */
  async renew(): Promise<void> {
    await this.#o.db.query('UPDATE cenc_connections SET lease_until = $2::timestamptz WHERE node_id = $1', [this.#o.nodeId, this.#until()]);
  }

  /** Stops renewing and forgets this node's connections (it closes them): their meters redial another node. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#o.db.query('DELETE FROM cenc_connections WHERE node_id = $1', [this.#o.nodeId]);
  }

  #until(): string {
    return new Date(this.#o.now() + this.#o.leaseMs).toISOString();
  }
}
