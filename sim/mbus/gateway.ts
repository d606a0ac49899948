/**
 * A simulated wireless M-Bus gateway: it "hears" the fleet's meters (a telegram per meter per round, security
 * mode 5 or 7, frame format A with CRC blocks) and forwards them to the HES as the gateway feed of
 * ingest/wmbus/intake.ts — HTTP POST (as an M2M user) or MQTT publish (QoS 1). Faults: a share of telegrams
 * with a flipped byte (their CRC fails) and a share encrypted with a key the HES does not have.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { FrameFormat } from '../../decoders/mbus/link.js';
import { unit } from '../model/hash.js';
import type { MbusFleet } from './meter.js';

export type GatewayTarget =
  | { kind: 'http'; /** API base, e.g. http://127.0.0.1:8080/api/v1 */ api: string; token: string }
  | { kind: 'mqtt'; url: string; prefix: string };

export interface GatewayFeedOptions {
  fleet: MbusFleet;
  projectId: string;
  gateway: string;
  target: GatewayTarget;
  /** Meter indexes this gateway hears (default: the whole fleet). */
  meters?: number[];
  mode?: 0 | 5 | 7;
  frameFormat?: FrameFormat;
  /** Telegrams per message (default 100). */
  batch?: number;
  /** Share of telegrams with one byte flipped (0..1). */
  corruptShare?: number;
  /** Share of meters whose telegrams use a key other than their registered one (0..1). */
  wrongKeyShare?: number;
}

export class GatewayFeed {
  #mqtt: MqttClient | undefined;
  /** Telegrams forwarded, corrupted on purpose, sent with a wrong key. */
  readonly sent = { telegrams: 0, corrupt: 0, wrongKey: 0 };

  constructor(private readonly o: GatewayFeedOptions) {}

  /** The telegrams of one round at `t` (UTC ms), as hex, with the faults applied. */
  telegrams(t: number): string[] {
    const o = this.o;
    const meters = o.meters ?? Array.from({ length: o.fleet.size }, (_, i) => i);
    return meters.map((i) => {
      const wrong = (o.wrongKeyShare ?? 0) > 0 && unit(0x77, i) < o.wrongKeyShare!;
      const b = o.fleet.telegram(i, t, { mode: o.mode ?? 5, frameFormat: o.frameFormat ?? 'A', ...(wrong ? { key: new Uint8Array(16).fill(0x5a) } : {}) });
      if (wrong) this.sent.wrongKey++;
      if ((o.corruptShare ?? 0) > 0 && unit(0x63, i, Math.floor(t / 1000)) < o.corruptShare!) {
        b[b.length - 3]! ^= 0x10;
        this.sent.corrupt++;
      }
      this.sent.telegrams++;
      return Buffer.from(b).toString('hex');
    });
  }

  /** Forwards one round at `t`; resolves once the HES took every message. Returns the HES's answers (HTTP). */
  async round(t: number): Promise<{ accepted: number; unknown: number; ignored: number }> {
    const all = this.telegrams(t);
    const size = this.o.batch ?? 100;
    const total = { accepted: 0, unknown: 0, ignored: 0 };
    const time = new Date(t).toISOString();
    for (let from = 0; from < all.length; from += size) {
      const body = { gateway: this.o.gateway, telegrams: all.slice(from, from + size).map((telegram) => ({ telegram, rssi: -70, time })) };
      const target = this.o.target;
      if (target.kind === 'http') {
        const r = await fetch(`${target.api}/projects/${this.o.projectId}/wmbus/telegrams`, {
          method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${target.token}` }, body: JSON.stringify(body),
        });
        if (r.status !== 202) throw new Error(`the HES answered ${r.status}: ${await r.text()}`);
        const a = (await r.json()) as typeof total;
        total.accepted += a.accepted;
        total.unknown += a.unknown;
        total.ignored += a.ignored;
      } else {
        this.#mqtt ??= await mqtt.connectAsync(target.url);
        await this.#mqtt.publishAsync(`${target.prefix}/${this.o.projectId}/${this.o.gateway}`, JSON.stringify(body), { qos: 1 });
      }
    }
    return total;
  }

  async close(): Promise<void> {
    await this.#mqtt?.endAsync();
    this.#mqtt = undefined;
  }
}
