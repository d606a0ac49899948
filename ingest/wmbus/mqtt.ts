/**
 * The wireless M-Bus gateway feed over MQTT: gateways publish the gateway message of ingest/wmbus/intake.ts
 * (JSON) to `<prefix>/<projectId>/<gatewayId>`; the HES subscribes to `<prefix>/+/+` with QoS 1 and
 * acknowledges a message only once its telegrams are on the bus, so a message the HES could not take is
 * delivered again (gateways should publish with QoS 1: a QoS 0 message has no second delivery). A message that is not a gateway message (bad JSON, a field wrong, an unknown topic) is
 * acknowledged, counted and reported with the reason: delivering it again would not mend it.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { isUuid } from '../../registry/db.js';
import { GatewayMessageError, parseGatewayMessage, type WmbusIntake } from './intake.js';

export interface WmbusMqttOptions {
  url: string;
  /** Topic prefix, e.g. `hes/wmbus`: messages come on `<prefix>/<projectId>/<gatewayId>`. */
  prefix: string;
  intake: WmbusIntake;
  /** A message refused (with the reason) or a connection problem. */
  onError(message: string, e?: unknown): void;
  clientId?: string;
}

export class WmbusMqttFeed {
  #client: MqttClient | undefined;
  /** Messages refused as not gateway messages. */
  rejected = 0;
  /** Messages taken (their telegrams accepted, unknown or ignored). */
  taken = 0;

  constructor(private readonly o: WmbusMqttOptions) {}

  async start(): Promise<void> {
    const topic = `${this.o.prefix}/+/+`;
    const client = await mqtt.connectAsync(this.o.url, {
      clientId: this.o.clientId ?? `hes-wmbus-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      clean: true, reconnectPeriod: 2000, protocolVersion: 5, // holding back acknowledgements needs MQTT 5 in mqtt.js
      // The acknowledgement waits for the bus: a message not taken comes again.
      customHandleAcks: (t, payload, _packet, done) => {
        this.#take(t, payload).then(() => done(0), (e) => {
          this.o.onError(`wM-Bus MQTT: a message on ${t} could not be taken; it stays unacknowledged`, e);
        });
      },
    });
    // QoS 0 messages (a gateway publishing without acknowledgement) have no acknowledgement to hold back.
    client.on('message', (t, payload, packet) => {
      if (packet.qos === 0) this.#take(t, payload).catch((e) => this.o.onError(`wM-Bus MQTT: a message on ${t} could not be taken (QoS 0: lost)`, e));
    });
    client.on('error', (e) => this.o.onError('wM-Bus MQTT: connection error', e));
    await client.subscribeAsync(topic, { qos: 1 });
    this.#client = client;
  }

  async #take(topic: string, payload: Buffer): Promise<void> {
    const parts = topic.slice(this.o.prefix.length + 1).split('/');
    const [projectId, gateway] = parts;
    try {
      if (parts.length !== 2 || !projectId || !isUuid(projectId)) throw new GatewayMessageError(`topic ${topic} is not ${this.o.prefix}/<projectId>/<gatewayId>`, 'topic');
      let body: unknown;
      try {
        body = JSON.parse(payload.toString('utf8'));
      } catch {
        throw new GatewayMessageError('the payload is not JSON', 'payload');
      }
      await this.o.intake.accept(projectId, parseGatewayMessage(body, 'payload', gateway));
      this.taken++;
    } catch (e) {
      if (!(e instanceof GatewayMessageError)) throw e;
      this.rejected++;
      this.o.onError(`wM-Bus MQTT: message on ${topic} refused: ${e.message}`);
    }
  }

  async close(): Promise<void> {
    await this.#client?.endAsync();
    this.#client = undefined;
  }
}
