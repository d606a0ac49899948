/**
 * `hes start --demo N`: a simulated fleet of N CE308 meters served in-process on a loopback port, registered
 * in a "Demo" project as a real installation would be (a TCP channel, one DLMS protocol per meter holding
 * its exported keys, comm lines with the meter's wPort and the CE308 device profile), with a daily task
 * (end-of-day registers, the event journals, time/information/relay states) and a 15-minute one (profile
 * and current registers), both also run once at start, so data appears within a minute.
 */
import type { Db } from '../registry/db.js';
import type { SecretBox } from '../registry/crypto.js';
import { toHex } from '../decoders/dlms/axdr/writer.js';
import { channelSettings, createDevice, createProject, ProtocolStore } from '../registry/project-data.js';
import type { Fleet } from '../sim/fleet.js';
import { WPORT_BASE } from '../sim/transport/addressing.js';
import { ClientSap } from '../sim/transport/session.js';
import { HES_TITLE, startSimMeters, type SimMeters } from '../ingest/testing/sim-meters.js';
import { createTask, runNow, setSchedule, type Actor } from '../scheduler/tasks.js';

export const DEMO_PROJECT = 'Demo';

/**
 * Registers meters 0..size-1 of `fleet` (served at host:port, wrapper framing, HLS-GMAC with ciphering) in a
 * project; a device that is already there (a restart on the same data dir) keeps its rows, and the channel
 * moves to the new port. Returns the device ids in meter order.
 */
export async function registerFleet(db: Db, box: SecretBox, projectId: string, fleet: Fleet, host: string, port: number): Promise<string[]> {
  const protocols = new ProtocolStore(db, box);
  const channelName = 'Demo fleet (simulator)';
  const settings = JSON.stringify(channelSettings('TCP', { host, port }));
  const found = await db.query<{ id: string }>('SELECT id FROM channels WHERE project_id = $1 AND name = $2', [projectId, channelName]);
  const channelId = found.rows[0]?.id ?? (await db.query<{ id: string }>(
    `INSERT INTO channels (project_id, name, kind, settings) VALUES ($1, $2, 'TCP', $3) RETURNING id`, [projectId, channelName, settings],
  )).rows[0]!.id;
  await db.query('UPDATE channels SET settings = $2, version = version + 1 WHERE id = $1', [channelId, settings]);
  const ids: string[] = [];
  for (let i = 0; i < fleet.size; i++) {
    const k = fleet.keys(i);
    const existing = await db.query<{ id: string }>(
      `SELECT id FROM devices WHERE project_id = $1 AND serial_number = $2 AND type = 'CE308'`, [projectId, k.serial],
    );
    if (existing.rows[0]) {
      ids.push(existing.rows[0].id);
      continue;
    }
    const protocol = await protocols.create(projectId, {
      name: `DLMS ${k.serial}`, kind: 'DLMS',
      settings: {
        authentication: 'high', clientAddress: ClientSap.management, serverAddressLength: 0, waitTime: 5, resendCount: 2, maxPduRx: 1024,
        systemTitle: toHex(HES_TITLE), encryptionKey: toHex(k.blockCipherKey), authenticationKey: toHex(k.authenticationKey),
      },
    });
    const device = await createDevice(db, projectId, { serialNumber: k.serial, type: 'CE308' });
    await db.query(
      `INSERT INTO comm_lines (project_id, device_id, channel_id, protocol_id, profile_id, protocol_map, priority, address, attempts)
       VALUES ($1, $2, $3, $4, 'DL_CE_308', 'PROTO_MAP_SPODES_CE308_V12', 10, $5, 2)`,
      [projectId, device.id, channelId, protocol.id, String(WPORT_BASE + i)],
    );
    ids.push(String(device.id));
  }
  return ids;
}

export interface Demo {
  meters: SimMeters;
  projectId: string;
  deviceIds: string[];
  taskIds: string[];
  close(): Promise<void>;
}

/**
 * Starts the simulated fleet and registers it with its two collection tasks (created once per data dir). The
 * meters' own invocation counters are kept in `stateFile`, reserved ahead, as the HES keeps its own: both
 * survive a restart, a kill -9 included.
 */
export async function startDemo(db: Db, box: SecretBox, size: number, stateFile: string): Promise<Demo> {
  const meters = await startSimMeters({ framing: 'wrapper', fleet: { meters: size, profile: 'ce308', stateFile } });
  try {
    const admin = (await db.query<{ id: string; username: string }>(`SELECT id, username FROM users WHERE username = 'admin'`)).rows[0];
    const actor: Actor = { userId: admin?.id ?? '', username: admin?.username ?? 'admin', m2m: false };
    const found = await db.query<{ id: string }>('SELECT id FROM projects WHERE name = $1', [DEMO_PROJECT]);
    const projectId = found.rows[0]?.id ?? String((await createProject(db, { name: DEMO_PROJECT }, admin?.id ?? null)).id);
    const deviceIds = await registerFleet(db, box, projectId, meters.fleet, '127.0.0.1', meters.port);
    const groupId = (await db.query<{ id: string }>('SELECT id FROM device_groups WHERE project_id = $1 AND is_default', [projectId])).rows[0]!.id;
    const tasks = await db.query<{ id: string }>(`SELECT id FROM collection_tasks WHERE project_id = $1 AND kind = 'scheduled' ORDER BY created_at`, [projectId]);
    let taskIds = tasks.rows.map((t) => t.id);
    if (!taskIds.length) {
      const daily = await createTask(db, projectId, {
        kind: 'scheduled', name: 'Daily: end of day', groupIds: [groupId], schedule: 'every day at 01:00', priority: 500, retries: 2, retryDelaySeconds: 60,
        content: {
          measurements: [{ archive: 'end-of-day', depth: { count: 3, unit: 'days' } }],
          events: { depth: { count: 3, unit: 'days' } }, states: ['state-time', 'state-state', 'state-info', 'state-relay'],
        },
      }, actor);
      const quarter = await createTask(db, projectId, {
        kind: 'scheduled', name: '15-minute profile', groupIds: [groupId], schedule: 'every 15 minutes', priority: 100, retries: 1, retryDelaySeconds: 30,
        content: { measurements: [{ archive: 'profile-15', depth: { count: 2, unit: 'days' } }, { archive: 'current' }] },
      }, actor);
      taskIds = [String(daily.id), String(quarter.id)];
      for (const id of taskIds) {
        await setSchedule(db, projectId, id, true, Date.now());
        await runNow(db, projectId, id, actor);
      }
    }
    // As `hes sim`: counters saved every 10 s besides the reservations ahead (sim/fleet.ts), and at a clean stop.
    const saver = setInterval(() => meters.fleet.saveState(), 10_000);
    saver.unref();
    const close = async () => {
      clearInterval(saver);
      await meters.close();
      meters.fleet.saveState();
    };
    return { meters, projectId, deviceIds, taskIds, close };
  } catch (e) {
    await meters.close();
    throw e;
  }
}
