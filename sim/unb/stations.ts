/**
 * A simulated UNB network (docs/unb.md, docs/smp-m.md): M meters (CE207/CE307 with UNB firmware) transmitting
 * SMP-M packets, sealed with their own XTEA keys, and N base stations with overlapping coverage posting what they
 * heard to the HES's station service (`POST /api/UnbBS/v1/messages`), fetching downlink tasks, delivering them
 * to the meters they cover and reporting the outcome.
 *
 * - Meter i is covered by stations i, i+1, i+2 (mod N, at most N): each hears the same transmission with its own
 *   RSSI (−95 to −135 dBm), so the HES sees every packet up to three times and must store it once.
 * - Per round each meter sends its current energy (A+ total and two tariffs from a steady 0.2–1 kW draw since
 *   2026-01-01); every `endOfDayEvery`-th round also its registers at its last midnight (the stations' zone); a meter that executed a downlink
 *   sends its command result (relay state) in the next round.
 * - A downlink the station delivers is opened by the meter with its downlink key; a counter not above the last
 *   one it took, or a MAC that fails, is refused (the station reports error); otherwise the relay follows.
 * - Faults: a share of receptions lost (a station does not hear it), and a share of stations offline per round
 *   (they keep what they heard and post it, with the same packet ids, when back).
 */
import { encodeMessage, decodeMessage, type Message } from '../../decoders/smp-m/messages.js';
import { open, seal, SmpmKeys } from '../../decoders/smp-m/packet.js';
import { hash32, seedOf, unit } from '../model/hash.js';

export interface UnbNetworkOptions {
  meters: number;
  /** Station identifiers and their tokens (as issued by the HES). */
  stations: { identifier: string; token: string }[];
  /** The HES base URL, e.g. http://127.0.0.1:8080 (the path /api/UnbBS/v1/messages is appended). */
  hes: string;
  firstSerial?: number;
  seed?: string;
  /** Share of receptions lost, 0..1. */
  lossShare?: number;
  /** Share of stations offline in a round, 0..1. */
  offlineShare?: number;
  endOfDayEvery?: number;
  /** Station time zone for the reception times they send (minutes east of UTC; default 180). */
  stationTzMinutes?: number;
  fetch?: typeof fetch;
}

interface MeterState {
  uplink: number;
  downlink: number;
  relay: 'connected' | 'disconnected';
  pendingResult: Message | null;
}

interface Heard {
  id: string;
  receivedAt: string;
  data: string;
  rssi: number;
  snr: number;
  frequency: number;
}

export class UnbNetworkSim {
  readonly #seed: number;
  readonly #meters: MeterState[];
  readonly #keys = new SmpmKeys();
  /** What each station heard and has not posted yet (offline stations keep it). */
  readonly #outbox: Heard[][];
  readonly #results: { taskId: number; state: 'success' | 'error'; note: string }[][];
  #round = 0;
  /** The last failed post, for the operator. */
  lastError: string | null = null;
  /** Transmissions, receptions, lost receptions, transmissions no station heard, ... */
  readonly stats = { transmitted: 0, receptions: 0, lost: 0, unheard: 0, offlineRounds: 0, posts: 0, postFailures: 0, downlinksDelivered: 0, downlinksRefused: 0 };

  constructor(private readonly o: UnbNetworkOptions) {
    if (!o.stations.length) throw new Error('at least one station');
    this.#seed = seedOf(o.seed ?? 'hes-unb-sim');
    this.#meters = Array.from({ length: o.meters }, (_, i) => ({ uplink: hash32(this.#seed, i, 0xc0) % 1000, downlink: 0, relay: 'connected', pendingResult: null }));
    this.#outbox = o.stations.map(() => []);
    this.#results = o.stations.map(() => []);
  }

  serial(i: number): number {
    return (this.o.firstSerial ?? 195_000_000) + i;
  }

  /** Meter i's keys (hex): what the keys file lists and the HES's security keys must hold. */
  keys(i: number): { uplink: string; downlink: string } {
    const hex = (tag: number) => [0, 1, 2, 3].map((w) => hash32(this.#seed, i, tag, w).toString(16).padStart(8, '0')).join('').toUpperCase();
    return { uplink: hex(0x01), downlink: hex(0x02) };
  }

  /** Meter i's last uplink counter. */
  uplinkCounter(i: number): number {
    return this.#meters[i]!.uplink;
  }

  relay(i: number): 'connected' | 'disconnected' {
    return this.#meters[i]!.relay;
  }

  /** Meter i's A+ total at `t` (UTC ms), Wh. */
  energyWh(i: number, t: number): number {
    return Math.floor(((t - Date.UTC(2026, 0, 1)) / 3_600_000) * (200 + 800 * unit(this.#seed, i, 0xa1)));
  }

  /** The stations that cover meter i, with the RSSI each hears it at. */
  coverage(i: number): { station: number; rssi: number }[] {
    const n = this.o.stations.length;
    return Array.from({ length: Math.min(3, n) }, (_, k) => ({ station: (i + k) % n, rssi: -95 - Math.floor(40 * unit(this.#seed, i, 0x55, k)) }));
  }

  /** The packets meter i transmits in a round at `t`. */
  #transmit(i: number, t: number): Uint8Array[] {
    const m = this.#meters[i]!;
    const key = this.#keys.get(this.keys(i).uplink);
    const time = Math.floor(t / 1000);
    const a = this.energyWh(i, t);
    const messages: Message[] = [{ type: 'current', time, total: a, tariffs: [Math.floor(a * 0.6), a - Math.floor(a * 0.6)] }];
    if (this.#round % (this.o.endOfDayEvery ?? 24) === 0) {
      // The registers at the meter's last midnight (its clock runs in the stations' zone).
      const tz = (this.o.stationTzMinutes ?? 180) * 60_000;
      const day = Math.floor((t + tz) / 86_400_000) * 86_400_000 - tz;
      const e = this.energyWh(i, day);
      messages.push({ type: 'endOfDay', time: day / 1000, total: e, tariffs: [Math.floor(e * 0.6), e - Math.floor(e * 0.6)] });
    }
    if (m.pendingResult) messages.push(m.pendingResult);
    m.pendingResult = null;
    return messages.map((msg) => {
      const { type, payload } = encodeMessage(msg);
      return seal({ direction: 'uplink', serial: this.serial(i), counter: ++m.uplink, type }, payload, key);
    });
  }

  /** One round at `t`: every meter transmits, the stations hear and post, take their tasks and deliver them. */
  async round(t: number): Promise<void> {
    this.#round++;
    const tz = this.o.stationTzMinutes ?? 180;
    const local = new Date(t + tz * 60_000).toISOString().slice(0, -1); // the station's wall clock, no offset
    for (let i = 0; i < this.o.meters; i++) {
      const packets = this.#transmit(i, t);
      this.stats.transmitted += packets.length;
      packets.forEach((p, k) => {
        let heard = false;
        for (const { station, rssi } of this.coverage(i)) {
          if (unit(this.#seed, i, 0x10 + station, this.#round * 16 + k) < (this.o.lossShare ?? 0)) {
            this.stats.lost++;
            continue;
          }
          heard = true;
          this.stats.receptions++;
          this.#outbox[station]!.push({ id: `${this.o.stations[station]!.identifier}-${this.#round}-${i}-${k}`, receivedAt: local, data: Buffer.from(p).toString('hex'), rssi, snr: 5, frequency: 868_800_000 });
        }
        if (!heard) this.stats.unheard++;
      });
    }
    await Promise.all(this.o.stations.map((_, s) => this.#exchange(s)));
  }

  async #exchange(s: number): Promise<void> {
    if (unit(this.#seed, s, 0x0f, this.#round) < (this.o.offlineShare ?? 0)) {
      this.stats.offlineRounds++;
      return;
    }
    await this.#post(s);
  }

  /** Every station posts what it kept (stations back online), with no new transmissions. */
  async drain(): Promise<void> {
    await Promise.all(this.o.stations.map((_, s) => this.#post(s)));
  }

  async #post(s: number): Promise<void> {
    const station = this.o.stations[s]!;
    // Posts of at most 5000 packets (the exchange's limit); results ride with the first.
    const tasks: { taskId: number; serial: number; packet: string }[] = [];
    do {
      const packets = this.#outbox[s]!.splice(0, 5000);
      const results = this.#results[s]!.splice(0);
      const body = { version: 1, stationId: station.identifier, status: { firmware: 'sim-1.0', latitude: 55.7 + s / 100, longitude: 37.6 + s / 100 }, packets, results };
      try {
        const r = await (this.o.fetch ?? fetch)(`${this.o.hes}/api/UnbBS/v1/messages`, {
          method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${station.token}` }, body: JSON.stringify(body),
        });
        if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${await r.text()}`);
        tasks.push(...(await r.json() as { tasks: typeof tasks }).tasks);
        this.stats.posts++;
      } catch (e) {
        // Not taken: posted again next round, with the same ids.
        this.#outbox[s]!.unshift(...packets);
        this.#results[s]!.unshift(...results);
        this.stats.postFailures++;
        this.lastError = `station ${station.identifier}: ${(e as Error).message}`;
        break;
      }
    } while (this.#outbox[s]!.length);
    for (const task of tasks) this.#results[s]!.push(this.#deliver(s, task));
  }

  /** The station transmits a downlink; the meter takes it if it is in range and the packet is genuine and new. */
  #deliver(s: number, task: { taskId: number; serial: number; packet: string }): { taskId: number; state: 'success' | 'error'; note: string } {
    const i = task.serial - (this.o.firstSerial ?? 195_000_000);
    const m = this.#meters[i];
    if (!m || !this.coverage(i).some((c) => c.station === s)) return { taskId: task.taskId, state: 'error', note: 'meter out of range' };
    try {
      const { header, payload } = open(Buffer.from(task.packet, 'hex'), this.#keys.get(this.keys(i).downlink));
      if (header.counter <= m.downlink) throw new Error(`replayed downlink counter ${header.counter}`);
      m.downlink = header.counter;
      const msg = decodeMessage(header.type, payload);
      if (msg.type === 'relay') m.relay = msg.action === 'connect' ? 'connected' : 'disconnected';
      m.pendingResult = { type: 'commandResult', downlinkCounter: header.counter, command: header.type, result: 'done', relay: m.relay };
      this.stats.downlinksDelivered++;
      return { taskId: task.taskId, state: 'success', note: `meter ${task.serial}: ${msg.type} done` };
    } catch (e) {
      this.stats.downlinksRefused++;
      return { taskId: task.taskId, state: 'error', note: `meter ${task.serial} refused: ${(e as Error).message}` };
    }
  }
}
