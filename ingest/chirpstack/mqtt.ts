/**
 * ChirpStack v4's MQTT integration: ChirpStack publishes each application's events on
 * `application/{applicationId}/device/{devEui}/event/{event}` (JSON marshaler); the HES subscribes to them
 * (`.../event/+`: uplinks, device-status, join, ack, txack and log events are taken, the other types acknowledged
 * and counted as ignored) with QoS 1, through a shared subscription (`$share/<group>/...`) so that several HES
 * processes split the load, and acknowledges a message only once its frame is on the bus — a message not taken
 * is delivered again. A message that is not an uplink event (bad JSON, a field wrong, a topic that disagrees with
 * its payload) is acknowledged, counted and reported with the reason: delivering it again would not mend it.
 * mqtt.js reconnects on its own every `reconnectPeriod`. A ChirpStack whose `event_topic` template puts the
 * topics under a prefix (`<prefix>application/...`) is followed with `topicPrefix`.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { LorawanIntake } from './intake.js';
import { downlinkMessage, downlinkTopic, type Downlink } from './downlink.js';
import { protobufEvent } from './protobuf.js';
import { ChirpstackEventError, parseDownlinkEvent, parseJoin, parseStatus, parseUplink } from './uplink.js';

export interface ChirpstackMqttOptions {
  url: string;
  /** Shared-subscription group; '' subscribes without sharing (every process gets every uplink). */
  shareGroup: string;
  /** What ChirpStack's `event_topic` puts before `application/` (e.g. `site-a/`); default none. */
  topicPrefix?: string;
  intake: LorawanIntake;
  /** A message refused (with the reason) or a connection problem. */
  onError(message: string, e?: unknown): void;
  clientId?: string;
}

export const EVENT_TOPIC = 'application/+/device/+/event/+';

export class ChirpstackMqttFeed {
  #client: MqttClient | undefined;
  /** Messages refused as not uplink events. */
  rejected = 0;
  /** Messages taken (whatever their outcome). */
  taken = 0;

  constructor(private readonly o: ChirpstackMqttOptions) {}

  get topic(): string {
    const topic = (this.o.topicPrefix ?? '') + EVENT_TOPIC;
    return this.o.shareGroup ? `$share/${this.o.shareGroup}/${topic}` : topic;
  }

  async start(): Promise<void> {
    const client = await mqtt.connectAsync(this.o.url, {
      clientId: this.o.clientId ?? `hes-chirpstack-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      clean: true, reconnectPeriod: 2000, protocolVersion: 5, // holding back acknowledgements needs MQTT 5 in mqtt.js
      customHandleAcks: (t, payload, _packet, done) => {
        this.#take(t, payload).then(() => done(0), (e) => {
          this.o.onError(`ChirpStack MQTT: a message on ${t} could not be taken; it stays unacknowledged`, e);
        });
      },
    });
    client.on('message', (t, payload, packet) => {
      if (packet.qos === 0) this.#take(t, payload).catch((e) => this.o.onError(`ChirpStack MQTT: a message on ${t} could not be taken (QoS 0: lost)`, e));
    });
    client.on('error', (e) => this.o.onError('ChirpStack MQTT: connection error', e));
    await client.subscribeAsync(this.topic, { qos: 1 });
    this.#client = client;
  }

  async #take(topic: string, payload: Buffer): Promise<void> {
    try {
      const prefix = this.o.topicPrefix ?? '';
      const m = topic.startsWith(prefix) ? /^application\/([^/]+)\/device\/([^/]+)\/event\/([a-z]+)$/.exec(topic.slice(prefix.length)) : null;
      if (!m) throw new ChirpstackEventError(`topic ${topic} is not application/<applicationId>/device/<devEui>/event/<event>`, 'topic');
      const event = m[3] as 'up' | 'status' | 'join' | 'ack' | 'txack' | 'log';
      if (!['up', 'status', 'join', 'ack', 'txack', 'log'].includes(event)) {
        this.o.intake.skipped();
        this.taken++;
        return;
      }
      // Either marshaler: JSON is an object (`{`), Protobuf starts with the tag of field 1 (deduplication_id).
      let body: unknown;
      if (/^\s*\{/.test(payload.subarray(0, 16).toString('latin1'))) {
        try {
          body = JSON.parse(payload.toString('utf8'));
        } catch {
          throw new ChirpstackEventError('the payload is not JSON', 'payload');
        }
      } else body = protobufEvent(event, payload);
      if (event === 'ack' || event === 'txack' || event === 'log') {
        const d = parseDownlinkEvent(event, body, 'payload');
        this.#sameDevice(topic, m, d);
        await this.o.intake.acceptDownlinkEvent(d, 'mqtt');
        this.taken++;
        return;
      }
      const e = event === 'up' ? parseUplink(body, 'payload') : event === 'status' ? parseStatus(body, 'payload') : parseJoin(body, 'payload');
      this.#sameDevice(topic, m, e);
      if ('fPort' in e) await this.o.intake.accept(e, 'mqtt');
      else if ('devAddr' in e) await this.o.intake.acceptJoin(e, 'mqtt');
      else await this.o.intake.acceptStatus(e, 'mqtt');
      this.taken++;
    } catch (e) {
      if (!(e instanceof ChirpstackEventError)) throw e;
      this.rejected++;
      this.o.intake.malformed();
      this.o.onError(`ChirpStack MQTT: message on ${topic} refused: ${e.message}`);
    }
  }

  #sameDevice(topic: string, m: RegExpExecArray, e: { applicationId: string; devEui: string }): void {
    if (e.applicationId !== m[1]!.toLowerCase() || e.devEui !== m[2]!.toUpperCase()) {
      throw new ChirpstackEventError(`topic ${topic} names another application or device than its payload`, 'topic');
    }
  }

  /** Queues a downlink in ChirpStack (QoS 1: resolves once the broker has it). */
  async enqueue(d: Downlink): Promise<void> {
    if (!this.#client) throw new Error('ChirpStack MQTT: not connected');
    await this.#client.publishAsync(downlinkTopic(this.o.topicPrefix ?? '', d), downlinkMessage(d), { qos: 1 });
  }

  async close(): Promise<void> {
    await this.#client?.endAsync();
    this.#client = undefined;
  }
}
