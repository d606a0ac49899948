/**
 * The DeviceReader of UNB meters (channel kind UNB, protocol SMP_M, docs/unb.md): a UNB meter cannot be called —
 * it transmits on its own schedule and the base stations relay what they hear (ingest/unb). So a "session" reads
 * nothing (its readings arrive as uplinks) and a command becomes a downlink task: relay connect/disconnect queue
 * a task the next base-station exchange fetches, sealed for the meter. A task's relay command passes the
 * scheduler's approval workflow first (control settings, relay-disconnect approval), as for every meter.
 *
 * The command's history row says "queued as downlink task N"; the relay state follows when the meter's command
 * result arrives (decoders/smp-m: `state-relay`). Clock sync is not offered (the meter's clock cannot be read on
 * demand): a time correction is a downlink task of its own (POST devices/{id}/downlink-tasks).
 */
import type { Db } from '../registry/db.js';
import { UnbDownlinks } from '../registry/unb.js';
import type { CollectItem, CollectOutcome, CommLineRef, ControlOutcome, ControlRequest, DeviceLink, DeviceReader, DeviceTarget } from './reader.js';

export class UnbDeviceReader implements DeviceReader {
  readonly #downlinks: UnbDownlinks;

  constructor(db: Db) {
    this.#downlinks = new UnbDownlinks(db);
  }

  open(device: DeviceTarget, line: CommLineRef): Promise<DeviceLink> {
    const downlinks = this.#downlinks;
    const log: string[] = [`UNB meter ${device.serialNumber} on channel ${line.channelId}: no session (it transmits; the base stations relay)`];
    return Promise.resolve({
      collect(item: CollectItem): Promise<CollectOutcome> {
        // The state a relay command changes is read back by the scheduler: the meter tells it in its command result, later.
        if (item.kind === 'state') return Promise.resolve({ status: 'ok', records: [] });
        return Promise.resolve({ status: 'unsupported', records: [], note: 'a UNB meter sends its readings on its own schedule; they arrive through the base stations' });
      },
      async control(request: ControlRequest): Promise<ControlOutcome> {
        if (request.function !== 'relay-connect' && request.function !== 'relay-disconnect') {
          return { ok: false, reason: 'unsupported', note: `${request.function} is not available over UNB (downlinks: relay connect/disconnect, time correction)` };
        }
        const t = await downlinks.create({ projectId: device.projectId, deviceId: device.id, kind: request.function });
        log.push(`queued downlink task ${t.id} (${t.kind})${t.offeredTo ? `, offered to base station ${t.offeredTo}` : ', no base station heard the meter yet'}`);
        return { ok: true, value: { downlinkTask: t.id, state: t.state, offeredTo: t.offeredTo }, note: `queued as downlink task ${t.id}: the base station delivers it` };
      },
      close: () => Promise.resolve(log.join('\n')),
    });
  }
}
