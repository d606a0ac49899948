/**
 * What CENC needs from the device registry: find a device by what a connection told about itself, register
 * a new one into the project bound to the listening port, and record connection events. The registry binds
 * this interface; the in-memory directory serves tests and a registry-less `hes` process.
 */
export type IdentityKind = 'imei' | 'serial' | 'system-title' | 'logical-device-name';

export interface DeviceIdentity {
  kind: IdentityKind;
  /** IMEI digits, serial text, system title as upper-case hex, logical device name text. */
  value: string;
}

export interface DeviceRecord {
  deviceId: string;
  projectId: string;
  serial: string;
  /** Groups the device belongs to (AMR agents' access is by group). */
  groupIds: string[];
  /** Device type; a modem known by IMEI only registers as "universal device" (seed 003 §2.2.18). */
  type: string;
  source: 'manual' | 'imported' | 'self-registered';
}

/** access-start / access-finish: an AMR agent's transparent session to the meter (detail: "agent <name>"). */
export type DeviceEventType = 'connected' | 'disconnected' | 'last-gasp' | 'registered' | 'unidentified' | 'unbound' | 'access-start' | 'access-finish';

export interface DeviceEvent {
  type: DeviceEventType;
  at: number;
  deviceId?: string;
  identity?: DeviceIdentity;
  /** "tcp:ip:port" / "udp:ip:port". */
  remote: string;
  /** Listening port the meter came in on (the agent port for access events). */
  port: number;
  detail?: string;
}

export interface DeviceDirectory {
  find(identity: DeviceIdentity): Promise<DeviceRecord | undefined>;
  /** Create a device (source self-registered) in `projectId`. */
  register(identity: DeviceIdentity, projectId: string): Promise<DeviceRecord>;
  get(deviceId: string): Promise<DeviceRecord | undefined>;
  recordEvent(e: DeviceEvent): Promise<void>;
  /** The project new devices arriving on this listening port join (port → project binding), if any. */
  projectForPort(port: number): Promise<string | undefined>;
}

const identityKey = (i: DeviceIdentity): string => `${i.kind}:${i.kind === 'system-title' ? i.value.toUpperCase() : i.value}`;

export class MemoryDeviceDirectory implements DeviceDirectory {
  readonly devices = new Map<string, DeviceRecord>();
  /** The latest events, oldest first: a process without a registry runs for months. */
  readonly events: DeviceEvent[] = [];
  /** Port → project bindings. */
  readonly bindings = new Map<number, string>();
  private readonly byIdentity = new Map<string, string>();
  private nextId = 1;

  constructor(private readonly eventLimit = 10_000) {}

  /** Add a known device with the identities it may present. */
  add(record: Omit<DeviceRecord, 'source' | 'type'> & Partial<Pick<DeviceRecord, 'source' | 'type'>>, identities: DeviceIdentity[]): DeviceRecord {
    const r: DeviceRecord = { source: 'manual', type: 'electricity meter', ...record };
    this.devices.set(r.deviceId, r);
    for (const i of identities) this.byIdentity.set(identityKey(i), r.deviceId);
    return r;
  }

  find(identity: DeviceIdentity): Promise<DeviceRecord | undefined> {
    const id = this.byIdentity.get(identityKey(identity));
    return Promise.resolve(id === undefined ? undefined : this.devices.get(id));
  }

  register(identity: DeviceIdentity, projectId: string): Promise<DeviceRecord> {
    const r = this.add(
      {
        deviceId: `auto-${this.nextId++}`,
        projectId,
        serial: identity.value,
        groupIds: [],
        source: 'self-registered',
        type: identity.kind === 'imei' ? 'universal device' : 'electricity meter',
      },
      [identity],
    );
    return Promise.resolve(r);
  }

  get(deviceId: string): Promise<DeviceRecord | undefined> {
    return Promise.resolve(this.devices.get(deviceId));
  }

  projectForPort(port: number): Promise<string | undefined> {
    return Promise.resolve(this.bindings.get(port));
  }

  recordEvent(e: DeviceEvent): Promise<void> {
    this.events.push(e);
    // trimmed by a tenth at a time, so that the copy is rare
    if (this.events.length > this.eventLimit + Math.ceil(this.eventLimit / 10)) this.events.splice(0, this.events.length - this.eventLimit);
    return Promise.resolve();
  }
}
