/**
 * The ChirpStack intake: uplink events of ChirpStack v4 applications (MQTT or HTTP integration, same JSON,
 * uplink.ts) become raw frames on the bus — protocol `lorawan`, the FRMPayload as the wire bytes, keyed by the
 * device the DevEUI names, the LoRaWAN figures in `meta` — decoded by the pool (decoders/lorawan). Nothing is
 * decoded here.
 *
 * - The application is the LORAWAN channel whose `applicationId` it is; the channel's `integration` says which
 *   way its uplinks are taken (an uplink arriving the other way is ignored, so enabling both in ChirpStack does
 *   not store twice).
 * - DevEUIs no comm line names are counted and listed for registration (registry/lorawan.ts).
 * - An uplink delivered again (a QoS 1 redelivery, ChirpStack retrying, both gateways' copies already merged by
 *   ChirpStack) is dropped by its `deduplicationId` within the last `dedupWindow` uplinks of this process; the
 *   frame id is `chirpstack:<deduplicationId>`. With `claims` (registry/lorawan-uplinks.ts) an uplink is also
 *   claimed by (DevEUI, fCnt) in the registry before it goes on the bus: one taken before a restart, or by
 *   another HES process, is a duplicate too; a join clears the device's claims (its fCnt starts again).
 * - An uplink without application payload (fPort 0: MAC commands only, or no data) is ignored.
 * - A device-status event (battery, link margin) and a join event go on the bus the same way, as frames with no
 *   wire bytes and `meta.event = status|join`: the decoder makes them state changes of the device.
 */
import type { LorawanApplication, LorawanCommandOutcomes, LorawanDevice, LorawanDirectory, UnknownLorawanDevices } from '../../registry/lorawan.js';
import type { LorawanUplinkClaims } from '../../registry/lorawan-uplinks.js';
import type { RawFrame } from '../../schemas/avro/index.js';
import type { DeviceJoin, DeviceStatus, DownlinkEvent, Uplink } from './uplink.js';

export type UplinkOutcome = 'accepted' | 'duplicate' | 'unknownDevice' | 'unknownApplication' | 'ignored';
/** What becomes of an event: an uplink's outcome, or `malformed` (not ChirpStack's uplink JSON; refused with the reason). */
export type EventOutcome = UplinkOutcome | 'malformed';

export interface LorawanIntakeOptions {
  directory: LorawanDirectory;
  unknown: UnknownLorawanDevices;
  /** Puts the frames on the bus; resolves once the bus holds them (the MQTT acknowledgement and the HTTP answer wait for it). */
  publish(frames: { key: number; frame: RawFrame }[]): Promise<void>;
  /** Retention days of the `current` archive (the frames' decoding context). */
  retentionDays(): Promise<number>;
  /** Offset of a zone from UTC at an instant, minutes. */
  offsetMinutes(timeZone: string, utcMs: number): number;
  /** Counts each event's outcome (hes_lorawan_events_total). */
  count?: (outcome: EventOutcome) => void;
  /** Deduplication on (DevEUI, fCnt) that outlives the process; without it, only by deduplicationId in memory. */
  claims?: Pick<LorawanUplinkClaims, 'claim' | 'release' | 'forget'>;
  /** Closes the commands queued as downlinks on their `ack`/`txack` events; without it, those are states only. */
  commands?: Pick<LorawanCommandOutcomes, 'settle'>;
  /** Deduplication ids remembered (default 100,000). */
  dedupWindow?: number;
  now?: () => number;
}

/** A time more than this ahead of ours is not believed. */
const FUTURE_SLACK_MS = 5 * 60_000;

export class LorawanIntake {
  readonly totals: Record<EventOutcome, number> = { accepted: 0, duplicate: 0, unknownDevice: 0, unknownApplication: 0, ignored: 0, malformed: 0 };
  /** Deduplication ids taken or being taken, oldest first. */
  readonly #seen = new Set<string>();

  constructor(private readonly o: LorawanIntakeOptions) {}

  /**
   * Takes one uplink that came by `via`; `projectId` is the project the HTTP integration posted to (an
   * application of another project is unknown there).
   */
  async accept(u: Uplink, via: 'mqtt' | 'http', projectId?: string): Promise<UplinkOutcome> {
    const outcome = await this.#take(u, via, projectId);
    this.#count(outcome);
    return outcome;
  }

  /** An event of a type the HES does not take (location, integration). */
  skipped(): void {
    this.#count('ignored');
  }

  /** An event the connector refused as not ChirpStack's uplink JSON. */
  malformed(): void {
    this.#count('malformed');
  }

  #count(outcome: EventOutcome): void {
    this.totals[outcome]++;
    this.o.count?.(outcome);
  }

  /** Takes one device-status event, as `accept` an uplink (an unknown device's status is not listed). */
  async acceptStatus(s: DeviceStatus, via: 'mqtt' | 'http', projectId?: string): Promise<UplinkOutcome> {
    const meta: Record<string, string> = { event: 'status', margin: String(s.margin), externalPowerSource: String(s.externalPowerSource) };
    if (s.batteryLevel !== null) meta.batteryLevel = String(s.batteryLevel);
    const outcome = await this.#takeDeviceEvent(s, meta, via, projectId);
    this.#count(outcome);
    return outcome;
  }

  /** Takes one join event, as a device-status event. */
  async acceptJoin(j: DeviceJoin, via: 'mqtt' | 'http', projectId?: string): Promise<UplinkOutcome> {
    const outcome = await this.#takeDeviceEvent(j, { event: 'join', devAddr: j.devAddr }, via, projectId);
    if (outcome === 'accepted') await this.o.claims?.forget(j.devEui);
    this.#count(outcome);
    return outcome;
  }

  /**
   * Takes one `ack`, `txack` or `log` event: a device state (state-info) like a status event, and for ack/txack
   * the outcome of the command whose downlink it reports — settled before the frame goes on the bus, so that a
   * redelivery after a failure settles it still (settling twice changes nothing).
   */
  async acceptDownlinkEvent(e: DownlinkEvent, via: 'mqtt' | 'http', projectId?: string): Promise<UplinkOutcome> {
    const commands = this.o.commands;
    const settle = e.event !== 'log' && e.queueItemId && commands
      ? (device: LorawanDevice, at: number) => commands.settle(device.deviceId, { event: e.event as 'ack' | 'txack', queueItemId: e.queueItemId!, acknowledged: e.acknowledged, at, fields: e.fields })
      : undefined;
    const outcome = await this.#takeDeviceEvent(e, { event: e.event, ...e.fields }, via, projectId, settle);
    this.#count(outcome);
    return outcome;
  }

  /**
   * Where an event goes: its application and device and its time, or the outcome that ends it here (taken
   * already, no such application in the project, the channel takes the other integration).
   */
  async #locate(
    e: Pick<Uplink, 'deduplicationId' | 'applicationId' | 'devEui' | 'time'>, via: 'mqtt' | 'http', projectId: string | undefined,
  ): Promise<UplinkOutcome | { app: LorawanApplication; device: LorawanDevice | undefined; at: number }> {
    if (this.#seen.has(e.deduplicationId)) return 'duplicate';
    const { app, device } = await this.o.directory.lookup(e.applicationId, e.devEui);
    if (!app || (projectId !== undefined && app.projectId !== projectId)) return 'unknownApplication';
    if (app.integration !== via) return 'ignored';
    const now = (this.o.now ?? Date.now)();
    return { app, device, at: e.time !== null && e.time <= now + FUTURE_SLACK_MS ? e.time : now };
  }

  async #takeDeviceEvent(
    e: DeviceStatus | DeviceJoin | DownlinkEvent, fields: Record<string, string>, via: 'mqtt' | 'http', projectId: string | undefined,
    before?: (device: LorawanDevice, at: number) => Promise<unknown>,
  ): Promise<UplinkOutcome> {
    const found = await this.#locate(e, via, projectId);
    if (typeof found === 'string') return found;
    const { app, device, at } = found;
    if (!device) return 'unknownDevice';
    await before?.(device, at);
    const meta = { event: fields.event!, devEui: e.devEui, applicationId: e.applicationId, deduplicationId: e.deduplicationId, ...fields };
    const frame = { ...this.#frame({ deduplicationId: e.deduplicationId, payload: Buffer.alloc(0) }, device.num, at, app.timeZone, await this.o.retentionDays()), meta };
    return (await this.#publishOnce(e.deduplicationId, device.num, frame)) ? 'accepted' : 'duplicate';
  }

  /** Puts the frame on the bus unless a delivery that overtook this one took its id; false then. */
  async #publishOnce(id: string, num: number, frame: RawFrame): Promise<boolean> {
    if (this.#seen.has(id)) return false;
    this.#seen.add(id);
    try {
      await this.o.publish([{ key: num, frame }]);
    } catch (e) {
      this.#seen.delete(id); // not on the bus: a redelivery must be taken
      throw e;
    }
    const max = this.o.dedupWindow ?? 100_000;
    if (this.#seen.size > max) this.#seen.delete(this.#seen.values().next().value!);
    return true;
  }

  async #take(u: Uplink, via: 'mqtt' | 'http', projectId: string | undefined): Promise<UplinkOutcome> {
    const found = await this.#locate(u, via, projectId);
    if (typeof found === 'string') return found;
    const { app, device, at } = found;
    if (!device) {
      this.o.unknown.record(app.projectId, {
        devEui: u.devEui, applicationId: u.applicationId, deviceName: u.deviceName, deviceProfile: u.deviceProfileName, fCnt: u.fCnt, rssi: u.rssi, snr: u.snr, at,
      });
      return 'unknownDevice';
    }
    if (u.fPort === 0 || u.payload.length === 0) return 'ignored';
    const frame = this.#uplinkFrame(u, device.num, at, app.timeZone, await this.o.retentionDays());
    const claims = this.o.claims;
    if (claims && !this.#seen.has(u.deduplicationId) && !(await claims.claim({ devEui: u.devEui, fCnt: u.fCnt, deduplicationId: u.deduplicationId, at }))) return 'duplicate';
    try {
      return (await this.#publishOnce(u.deduplicationId, device.num, frame)) ? 'accepted' : 'duplicate';
    } catch (e) {
      await claims?.release(u.devEui, u.fCnt, u.deduplicationId).catch(() => undefined); // the redelivery must find it free; the bus error is what counts
      throw e;
    }
  }

  #uplinkFrame(u: Uplink, num: number, at: number, zone: string, retention: number): RawFrame {
    const meta: Record<string, string> = {
      devEui: u.devEui, applicationId: u.applicationId, deduplicationId: u.deduplicationId, fPort: String(u.fPort), fCnt: String(u.fCnt), gateways: String(u.gateways),
    };
    if (u.rssi !== null) meta.rssi = String(u.rssi);
    if (u.snr !== null) meta.snr = String(u.snr);
    if (u.gatewayId !== null) meta.gatewayId = u.gatewayId;
    if (u.dr !== null) meta.dr = String(u.dr);
    if (u.spreadingFactor !== null) meta.spreadingFactor = String(u.spreadingFactor);
    if (u.frequency !== null) meta.frequency = String(u.frequency);
    return { ...this.#frame(u, num, at, zone, retention), meta };
  }

  #frame(e: { deduplicationId: string; payload: Buffer }, num: number, at: number, zone: string, retention: number): RawFrame {
    return {
      frameId: `chirpstack:${e.deduplicationId}`, wire: e.payload, framing: 'LORAWAN', direction: 'UPLINK', deviceId: num, commLineId: null,
      connector: 'chirpstack', receivedAt: at, sessionId: null, protocol: 'lorawan', meta: {},
      context: {
        archive: 'current', retentionDays: retention, deviceTzMinutes: this.o.offsetMinutes(zone, at), source: 'PUSH', captureObjects: [],
        journal: null, eventCodes: null, protocolContext: null,
      },
    };
  }
}
