/**
 * Downlinks through ChirpStack v4's MQTT integration: a message on `application/{applicationId}/device/{devEui}/
 * command/down` (under the same topic prefix as the events) with `{devEui, confirmed, fPort, data}`, data the
 * FRMPayload in base64, queues it in ChirpStack's device queue. A class A device receives it after its next
 * uplink; ChirpStack then reports `txack` (sent by the gateway) and, for a confirmed downlink, `ack` — both naming the
 * message's `id` as `queueItemId`.
 */
export interface Downlink {
  /** ChirpStack's queue item id (a UUID): its `ack`/`txack` events name it as `queueItemId`. */
  id?: string;
  applicationId: string;
  devEui: string;
  confirmed: boolean;
  fPort: number;
  data: Uint8Array;
}

export function downlinkTopic(topicPrefix: string, d: Pick<Downlink, 'applicationId' | 'devEui'>): string {
  return `${topicPrefix}application/${d.applicationId}/device/${d.devEui.toLowerCase()}/command/down`;
}

export function downlinkMessage(d: Downlink): string {
  if (!Number.isInteger(d.fPort) || d.fPort < 1 || d.fPort > 223) throw new RangeError(`fPort ${d.fPort}: a downlink's fPort is 1-223`);
  if (d.data.length > 242) throw new RangeError(`${d.data.length} bytes: a downlink carries at most 242`);
  return JSON.stringify({ ...(d.id ? { id: d.id } : {}), devEui: d.devEui.toLowerCase(), confirmed: d.confirmed, fPort: d.fPort, data: Buffer.from(d.data).toString('base64') });
}
