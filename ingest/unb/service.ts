/**
 * The UNB station service (docs/unb.md): each exchange of an authenticated base station — the packets it heard
 * become raw frames on the bus (protocol `smp-m`, framing SMPM, keyed by the device the packet's serial names,
 * decoded by the pool, decoders/smp-m), the results of downlink tasks it executed are recorded, its status is
 * kept, and the answer carries the downlink tasks offered to it, sealed for their meters.
 *
 * - Only the packet's clear header is read here (serial, counter: decoders/smp-m/packet.ts `readHeader`), and its
 *   MAC checked with the device's uplink key so that only a genuine packet moves the device's counter; the pool
 *   deciphers and decodes. A packet failing the MAC still goes to the bus: the pool dead-letters it
 *   ("authentication failed") with the station that relayed it.
 * - Idempotent: a packet whose (serial, counter) was taken within the last `dedupWindow` packets — a station's
 *   retry, or the same transmission heard by several stations — is a duplicate (its reception still counts for
 *   the downlink station choice). The frame id is `unb:<serial>:<counter>`, the same from every station.
 * - Replay: a counter not above the device's last accepted one (and not a duplicate) goes to the bus with
 *   `meta.lastCounter`; the pool dead-letters it ("replayed counter").
 * - A serial no UNB comm line names is counted and listed (registry/unb.ts `UnknownUnbDevices`), never stored;
 *   bytes that are no SMP-M packet at all (another system on the frequency) are counted as foreign.
 */
import { encodeMessage, type Message } from '../../decoders/smp-m/messages.js';
import { macMatches, readHeader, seal, SmpmKeys } from '../../decoders/smp-m/packet.js';
import { SmpmError } from '../../decoders/smp-m/errors.js';
import type { RawFrame } from '../../schemas/avro/index.js';
import type { FetchedTask, UnbDirectory, UnbDownlinks, UnbStations, UnknownUnbDevices } from '../../registry/unb.js';
import type { StationMessage } from './message.js';

export type PacketOutcome = 'accepted' | 'duplicate' | 'unknownDevice' | 'foreign';

export interface AuthenticatedStation {
  id: string;
  identifier: string;
  tzOffsetMinutes: number;
}

export interface OfferedTask {
  taskId: number;
  serial: number;
  /** The sealed downlink packet, hex: what the station transmits. */
  packet: string;
  frequency: number;
  power: number;
  baudRate: number;
  modulation: string;
}

export interface ExchangeAnswer {
  version: 1;
  serverTime: string;
  packets: Record<PacketOutcome, number>;
  results: { taken: number; ignored: number[] };
  tasks: OfferedTask[];
}

export interface UnbServiceOptions {
  stations: UnbStations;
  directory: UnbDirectory;
  downlinks: UnbDownlinks;
  unknown: UnknownUnbDevices;
  /** Puts the frames on the bus; resolves once the bus holds them (the answer waits for it). */
  publish(frames: { key: number; frame: RawFrame }[]): Promise<void>;
  /** Retention days of the `current` archive (the frames' decoding context). */
  retentionDays(): Promise<number>;
  /** Counts packet outcomes (hes_unb_packets_total). */
  count?: (outcome: PacketOutcome, n: number) => void;
  /** Tasks that could not be sealed (no downlink key) are ended with this note. */
  onTaskError?: (taskId: number, note: string) => void;
  /** (serial, counter) pairs remembered (default 200,000). */
  dedupWindow?: number;
  /** How often counters and receptions are written (default 5 s). */
  flushMs?: number;
  /** A periodic write of counters and receptions failed (they are written again with the next). */
  onError?: (e: unknown) => void;
  now?: () => number;
}

/** A reception time more than this ahead of ours is not believed. */
const FUTURE_SLACK_MS = 5 * 60_000;

export class UnbStationService {
  readonly totals: Record<PacketOutcome, number> = { accepted: 0, duplicate: 0, unknownDevice: 0, foreign: 0 };
  /** `serial:counter` of packets taken or being taken, oldest first. */
  readonly #seen = new Set<string>();
  readonly #keys = new SmpmKeys();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: UnbServiceOptions) {
    this.#timer = setInterval(() => void this.o.directory.flush().catch((e: unknown) => this.o.onError?.(e)), o.flushMs ?? 5_000);
    this.#timer.unref();
  }

  async exchange(station: AuthenticatedStation, m: StationMessage): Promise<ExchangeAnswer> {
    const now = (this.o.now ?? Date.now)();
    await this.o.stations.seen(station.id, m.status);
    const packets = await this.#packets(station, m, now);
    const ignored = await this.o.downlinks.report(station.id, m.results);
    const tasks = await this.#tasks(station);
    return { version: 1, serverTime: new Date(now).toISOString(), packets, results: { taken: m.results.length - ignored.length, ignored }, tasks };
  }

  async #packets(station: AuthenticatedStation, m: StationMessage, now: number): Promise<Record<PacketOutcome, number>> {
    const out: Record<PacketOutcome, number> = { accepted: 0, duplicate: 0, unknownDevice: 0, foreign: 0 };
    const frames: { key: number; frame: RawFrame }[] = [];
    const taken: string[] = [];
    const genuine: { device: Awaited<ReturnType<UnbDirectory['lookup']>>; counter: number }[] = [];
    const retention = m.packets.length ? await this.o.retentionDays() : 0;
    for (const p of m.packets) {
      let h;
      try {
        h = readHeader(p.data);
      } catch (e) {
        if (!(e instanceof SmpmError)) throw e;
        out.foreign++;
        continue;
      }
      const at = p.receivedAt <= now + FUTURE_SLACK_MS ? p.receivedAt : now;
      const hex = Buffer.from(p.data).toString('hex').toUpperCase();
      const device = h.direction === 'uplink' ? await this.o.directory.lookup(h.serial) : undefined;
      if (!device) {
        if (h.direction === 'uplink') this.o.unknown.record('', { serial: h.serial, station: station.identifier, counter: h.counter, rssi: p.rssi, packet: hex, at });
        out[h.direction === 'uplink' ? 'unknownDevice' : 'foreign']++;
        continue;
      }
      this.o.directory.heard(device, station.id, p.rssi, p.snr, at);
      const id = `${h.serial}:${h.counter}`;
      if (this.#seen.has(id)) {
        out.duplicate++;
        continue;
      }
      this.#seen.add(id);
      taken.push(id);
      const meta: Record<string, string> = { serial: String(h.serial), counter: String(h.counter), stationId: station.identifier, packetId: p.id, rssi: String(p.rssi) };
      if (p.snr !== null) meta.snr = String(p.snr);
      if (p.frequency !== null) meta.frequency = String(p.frequency);
      if (device.lastCounter >= 0) meta.lastCounter = String(device.lastCounter);
      if (device.uplinkKey && h.counter > device.lastCounter && macMatches(p.data, this.#keys.get(device.uplinkKey))) genuine.push({ device, counter: h.counter });
      frames.push({
        key: device.num,
        frame: {
          frameId: `unb:${id}`, wire: Buffer.from(p.data), framing: 'SMPM', direction: 'UPLINK', deviceId: device.num, commLineId: null, connector: 'unb',
          receivedAt: at, sessionId: null, protocol: 'smp-m', meta,
          context: {
            archive: 'current', retentionDays: retention, deviceTzMinutes: station.tzOffsetMinutes, source: 'PUSH', captureObjects: [],
            journal: null, eventCodes: null, protocolContext: null,
          },
        },
      });
      out.accepted++;
    }
    if (frames.length) {
      try {
        await this.o.publish(frames);
      } catch (e) {
        for (const id of taken) this.#seen.delete(id); // not on the bus: the station's retry must be taken
        throw e;
      }
    }
    for (const g of genuine) this.o.directory.accept(g.device!, g.counter);
    const max = this.o.dedupWindow ?? 200_000;
    while (this.#seen.size > max) this.#seen.delete(this.#seen.values().next().value!);
    for (const k of Object.keys(out) as PacketOutcome[]) {
      this.totals[k] += out[k];
      if (out[k]) this.o.count?.(k, out[k]);
    }
    return out;
  }

  async #tasks(station: AuthenticatedStation): Promise<OfferedTask[]> {
    const fetched = await this.o.downlinks.fetch(station.id, this.o.directory);
    const offered: OfferedTask[] = [];
    const unsealable: { taskId: number; state: 'error'; note: string }[] = [];
    for (const t of fetched) {
      if (!t.downlinkKey) {
        unsealable.push({ taskId: t.id, state: 'error', note: 'the device has no downlink key (security key XTEA_DOWNLINK)' });
        continue;
      }
      const { type, payload } = encodeMessage(messageOf(t));
      const packet = seal({ direction: 'downlink', serial: t.serial, counter: t.counter, type }, payload, this.#keys.get(t.downlinkKey));
      const d = t.downlink;
      offered.push({
        taskId: t.id, serial: t.serial, packet: Buffer.from(packet).toString('hex').toUpperCase(),
        frequency: Number(d.downlinkFrequency ?? 868_751_400), power: Number(d.downlinkPower ?? 3), baudRate: Number(d.downlinkBaudRate ?? 400), modulation: String(d.downlinkModulation ?? 'FSK'),
      });
    }
    if (unsealable.length) {
      await this.o.downlinks.report(station.id, unsealable);
      for (const u of unsealable) this.o.onTaskError?.(u.taskId, u.note);
    }
    return offered;
  }

  /** Writes what is pending (counters, receptions, unknown devices) and stops the timer. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.o.directory.flush();
    await this.o.unknown.close();
  }
}

/** The SMP-M downlink message of a task. */
export function messageOf(t: Pick<FetchedTask, 'kind' | 'params'>): Message {
  if (t.kind === 'time-correction') return { type: 'timeCorrection', shiftSeconds: Number(t.params.shiftSeconds ?? 0) };
  return { type: 'relay', action: t.kind === 'relay-connect' ? 'connect' : 'disconnect' };
}
