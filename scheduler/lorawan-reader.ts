/**
 * The DeviceReader of LoRaWAN devices (channel kind LORAWAN, protocol LORAWAN, docs/lorawan.md): the HES sits
 * behind ChirpStack and cannot call a device — its uplinks arrive through the integration (ingest/chirpstack). So a
 * "session" reads nothing and a command becomes a downlink in ChirpStack's device queue, encoded as the device
 * profile's `lorawan.downlinks` declares (decoders/lorawan/commands.ts). The relay commands pass the scheduler's
 * approval workflow first, as for every meter. A class A device receives the downlink only after its next uplink:
 * the command's history row says so; the ack (or its absence) arrives later as ChirpStack's `ack` event.
 */
import { randomUUID } from 'node:crypto';
import { encodeCommand } from '../decoders/lorawan/commands.js';
import { LorawanError } from '../decoders/lorawan/errors.js';
import type { Downlink } from '../ingest/chirpstack/downlink.js';
import type { Db } from '../registry/db.js';
import type { DeviceProfile } from '../schemas/device-profile.js';
import type { CollectItem, CollectOutcome, CommLineRef, ControlOutcome, ControlRequest, DeviceLink, DeviceReader, DeviceTarget } from './reader.js';
import { ReaderRegistryCache } from './registry-cache.js';

export interface LorawanReaderOptions {
  db: Db;
  /** Queues a downlink in ChirpStack (ChirpstackMqttFeed.enqueue); absent: the MQTT integration is not configured here. */
  enqueue: ((d: Downlink) => Promise<void>) | undefined;
}

export const QUEUED_NOTE = 'queued; a class A device receives it after its next uplink';

export class LorawanDeviceReader implements DeviceReader {
  readonly #registry: ReaderRegistryCache;

  constructor(private readonly o: LorawanReaderOptions) {
    this.#registry = new ReaderRegistryCache(o.db, Date.now);
  }

  async open(_device: DeviceTarget, line: CommLineRef): Promise<DeviceLink> {
    const profile = line.profileId ? await this.#registry.profile<DeviceProfile>(line.profileId, line.profileVersion) : null;
    const enqueue = this.o.enqueue;
    const applicationId = String(line.channelSettings.applicationId ?? '');
    const devEui = line.address;
    const log: string[] = [`LoRaWAN device ${devEui} on application ${applicationId}: no session (its uplinks arrive through ChirpStack)`];
    return {
      collect(item: CollectItem): Promise<CollectOutcome> {
        // The relay state a command changes is reported by the device in a later uplink.
        if (item.kind === 'state') return Promise.resolve({ status: 'ok', records: [] });
        return Promise.resolve({ status: 'unsupported', records: [], note: 'a LoRaWAN device sends its readings on its own schedule; they arrive through ChirpStack' });
      },
      async control(request: ControlRequest): Promise<ControlOutcome> {
        if (request.function !== 'relay-connect' && request.function !== 'relay-disconnect') {
          return { ok: false, reason: 'unsupported', note: `${request.function} is not available over LoRaWAN (downlinks: relay connect/disconnect)` };
        }
        let encoded;
        try {
          encoded = encodeCommand(profile?.lorawan, request.function);
        } catch (e) {
          if (!(e instanceof LorawanError)) throw e;
          return { ok: false, reason: e.code === 'LORAWAN_NO_DOWNLINK' ? 'unsupported' : 'error', note: e.message };
        }
        if (!enqueue) return { ok: false, reason: 'error', note: 'the ChirpStack MQTT integration is not configured in this process (lorawan.mqttUrl)' };
        if (!applicationId) return { ok: false, reason: 'error', note: 'the LoRaWAN channel names no applicationId' };
        const queueItemId = randomUUID();
        await enqueue({ id: queueItemId, applicationId, devEui, confirmed: encoded.confirmed, fPort: encoded.fPort, data: encoded.bytes });
        const data = Buffer.from(encoded.bytes).toString('hex');
        log.push(`${request.function}: downlink fPort ${encoded.fPort} ${data}${encoded.confirmed ? ' (confirmed)' : ''} ${QUEUED_NOTE}`);
        return { ok: true, value: { queueItemId, fPort: encoded.fPort, data, confirmed: encoded.confirmed, warnings: encoded.warnings }, note: QUEUED_NOTE };
      },
      close: () => Promise.resolve(log.join('\n')),
    };
  }
}
