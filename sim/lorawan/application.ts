/**
 * A simulated ChirpStack v4 application: LoRaWAN electricity meters sending OBIS-TLV uplinks on fPort 2
 * (decoders/lorawan/obis-tlv.ts) — a time, A+ total and T1/T2, A−, voltage L1, a status word — delivered to
 * the HES the way ChirpStack delivers them (ingest/chirpstack): the uplink event's JSON published to MQTT on
 * `[prefix]application/{applicationId}/device/{devEui}/event/up` (QoS 1) or posted to the HTTP integration's
 * route. Per round each meter sends one uplink with the next fCnt, heard by 1–3 gateways. Faults: a share
 * of uplinks delivered twice (a redelivery: the same deduplicationId), a share with a payload the codec
 * refuses (an unknown record tag), and meters with the "battery low" status bit.
 */
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { encodeObisTlv } from '../../decoders/lorawan/obis-tlv.js';
import { hash32, seedOf, unit } from '../model/hash.js';

export type ApplicationTarget =
  | { kind: 'mqtt'; url: string; topicPrefix?: string }
  | { kind: 'http'; /** API base, e.g. http://127.0.0.1:8080/api/v1 */ api: string; projectId: string; token: string };

export interface LorawanApplicationOptions {
  applicationId: string;
  meters: number;
  target: ApplicationTarget;
  /** Seed of the DevEUIs, consumption and faults (default hes-lorawan-sim). */
  seed?: string;
  /** Share of uplinks delivered twice (0..1). */
  duplicateShare?: number;
  /** Share of uplinks whose payload the codec refuses (0..1). */
  corruptShare?: number;
}

/** The battery-low bit of the shipped LORAWAN_OBIS_TLV profile. */
const BATTERY_LOW = 1 << 3;

export class LorawanApplicationSim {
  #mqtt: MqttClient | undefined;
  readonly #seed: number;
  readonly #fCnt: number[];
  /** Uplinks sent (redeliveries not counted), sent twice, sent with a bad payload. */
  readonly sent = { uplinks: 0, duplicates: 0, corrupt: 0 };

  constructor(private readonly o: LorawanApplicationOptions) {
    this.#seed = seedOf(o.seed ?? 'hes-lorawan-sim');
    this.#fCnt = Array.from({ length: o.meters }, (_, i) => hash32(this.#seed, i, 0xfc) % 1000);
  }

  /** Meter i's DevEUI (upper-case hex, 16 digits). */
  devEui(i: number): string {
    return `70B3D5${(hash32(this.#seed, 0xe0) & 0xfff).toString(16).padStart(3, '0')}${i.toString(16).padStart(7, '0')}`.toUpperCase();
  }

  /** Meter i's A+ total at `t` (UTC ms), Wh: a steady draw of 0.2–1 kW since 2026-01-01. */
  energyWh(i: number, t: number): number {
    return Math.floor(((t - Date.UTC(2026, 0, 1)) / 3_600_000) * (200 + 800 * unit(this.#seed, i, 0xa1)));
  }

  /** Meter i's uplink payload at `t` (hex). */
  payload(i: number, t: number): string {
    const a = this.energyWh(i, t);
    return Buffer.from(encodeObisTlv({
      time: Math.floor(t / 1000),
      registers: [
        { obis: '1.0.1.8.0.255', raw: a, unit: 30 }, { obis: '1.0.1.8.1.255', raw: Math.floor(a * 0.6), unit: 30 }, { obis: '1.0.1.8.2.255', raw: a - Math.floor(a * 0.6), unit: 30 },
        { obis: '1.0.2.8.0.255', raw: Math.floor(a / 1000), unit: 30 },
        { obis: '1.0.32.7.0.255', raw: 2250 + Math.floor(100 * unit(this.#seed, i, 0x32, Math.floor(t / 60_000))), scaler: -1, unit: 35, type: 0x12 },
      ],
      status: unit(this.#seed, i, 0xba) < 0.1 ? BATTERY_LOW : 0,
    })).toString('hex');
  }

  /** The uplink events of one round at `t`, each with how often it is delivered. */
  events(t: number): { devEui: string; event: Record<string, unknown>; deliveries: number }[] {
    return Array.from({ length: this.o.meters }, (_, i) => {
      const round = Math.floor(t / 1000);
      const corrupt = unit(this.#seed, i, 0xc0, round) < (this.o.corruptShare ?? 0);
      const deliveries = unit(this.#seed, i, 0xd0, round) < (this.o.duplicateShare ?? 0) ? 2 : 1;
      const gateways = 1 + (hash32(this.#seed, i, 0x6a, round) % 3);
      const fCnt = this.#fCnt[i]!++;
      this.sent.uplinks++;
      if (corrupt) this.sent.corrupt++;
      if (deliveries === 2) this.sent.duplicates++;
      const devEui = this.devEui(i);
      return {
        devEui, deliveries,
        event: {
          deduplicationId: randomUUID(), time: new Date(t).toISOString(),
          deviceInfo: {
            tenantId: '00000000-0000-4000-8000-000000000001', tenantName: 'Simulated utility', applicationId: this.o.applicationId, applicationName: 'simulated meters',
            deviceProfileId: '00000000-0000-4000-8000-000000000002', deviceProfileName: 'OBIS-TLV meter', deviceName: `sim-meter-${i}`, devEui: devEui.toLowerCase(),
            deviceClassEnabled: 'CLASS_A', tags: {},
          },
          devAddr: (0x01000000 + i).toString(16).padStart(8, '0'), adr: true, dr: 5, fCnt, fPort: 2, confirmed: false,
          data: Buffer.from(corrupt ? `01FF${this.payload(i, t).slice(2)}` : this.payload(i, t), 'hex').toString('base64'),
          rxInfo: Array.from({ length: gateways }, (_, g) => ({
            gatewayId: `0016c001f1${g.toString(16).padStart(6, '0')}`, uplinkId: hash32(this.#seed, i, g, round) & 0xffff,
            rssi: -60 - Math.floor(60 * unit(this.#seed, i, g, round)), snr: Math.round(100 - 200 * unit(this.#seed, g, i, round)) / 10, channel: g, crcStatus: 'CRC_OK',
          })),
          txInfo: { frequency: 868_100_000 + 200_000 * (i % 3), modulation: { lora: { bandwidth: 125000, spreadingFactor: 7, codeRate: 'CR_4_5' } } },
        },
      };
    });
  }

  /** Sends one round at `t`; resolves once every uplink was delivered (published with QoS 1, or answered 202). */
  async round(t: number): Promise<void> {
    const target = this.o.target;
    for (const { devEui, event, deliveries } of this.events(t)) {
      const body = JSON.stringify(event);
      for (let d = 0; d < deliveries; d++) {
        if (target.kind === 'mqtt') {
          this.#mqtt ??= await mqtt.connectAsync(target.url);
          await this.#mqtt.publishAsync(`${target.topicPrefix ?? ''}application/${this.o.applicationId}/device/${devEui.toLowerCase()}/event/up`, body, { qos: 1 });
        } else {
          const r = await fetch(`${target.api}/projects/${target.projectId}/lorawan/chirpstack?event=up`, {
            method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${target.token}` }, body,
          });
          if (r.status !== 202) throw new Error(`the HES answered ${r.status}: ${await r.text()}`);
        }
      }
    }
  }

  async close(): Promise<void> {
    await this.#mqtt?.endAsync();
    this.#mqtt = undefined;
  }
}
