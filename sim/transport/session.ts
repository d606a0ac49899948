/**
 * One connection to one simulated meter: the codec's DlmsServerConnection (link, association,
 * ciphering, blocks) bound to the meter's COSEM objects, with the meter's faults applied to what it
 * writes. Transports feed bytes in and give a `write` / `close` for the way out.
 */
import type { DlmsData } from '../../decoders/dlms/axdr/types.js';
import { ActionResult, encodeApdu } from '../../decoders/dlms/apdu/index.js';
import { encodeWpdu } from '../../decoders/dlms/wrapper/wpdu.js';
import { DlmsServerConnection, type Framing, type ServerAssociation } from '../../decoders/dlms/connection/index.js';
import { pooledRandomBytes, unwrapKey } from '../../decoders/dlms/security/index.js';
import { cipheredPush } from '../push.js';
import type { MeterFaults } from '../faults.js';
import { unit } from '../model/hash.js';
import type { Fleet, MeterKeys } from '../fleet.js';
import type { Meter } from '../meter.js';
import { MeterObjects, pushBody, type SessionInfo } from '../objects/index.js';
import { meterDateTime } from '../objects/measurements.js';
import { meterTime } from '../meter.js';

/** Client SAPs of the associations: public (no security), reader (LLS), management (HLS-GMAC, ciphered). */
export const ClientSap = { public: 16, reader: 32, management: 48 } as const;

export function associationsFor(security: Fleet['config']['security'], keys: MeterKeys): ServerAssociation[] {
  const out: ServerAssociation[] = [{ clientAddress: ClientSap.public, authentication: 'none', securityPolicy: 'none' }];
  if (security !== 'none') out.push({ clientAddress: ClientSap.reader, authentication: 'low', password: keys.password, securityPolicy: 'none' });
  if (security === 'high-gmac') {
    out.push({
      clientAddress: ClientSap.management,
      authentication: 'high-gmac',
      securityPolicy: 'authenticated-and-encrypted',
      keys: { blockCipherKey: keys.blockCipherKey, authenticationKey: keys.authenticationKey },
    });
  }
  return out;
}

/** Client SAP / wPort that pushes go to (the IDIS push client). */
export const PUSH_CLIENT_SAP = 102;

export interface MeterAddress {
  framing: Framing;
  serverLogicalAddress: number;
  serverPhysicalAddress?: number;
  serverAddressSize: 1 | 2 | 4;
  /** Wrapper: the meter's own wPort. */
  serverWPort?: number;
}

const RANDOM = { random: pooledRandomBytes };

export interface SessionIo {
  write(bytes: Uint8Array): void;
  close(): void;
}

export class MeterSession {
  readonly server: DlmsServerConnection;
  readonly meter: Meter;
  private readonly objects: MeterObjects;
  private readonly faults: MeterFaults;
  private readonly info: SessionInfo;
  private requests = 0;
  private closed = false;

  constructor(
    readonly fleet: Fleet,
    readonly index: number,
    private readonly address: MeterAddress,
    private readonly io: SessionIo,
  ) {
    const keys = fleet.meterKeys(index);
    this.faults = fleet.faults(index);
    this.meter = fleet.acquire(index);
    fleet.reserveCounter(index);
    this.server = new DlmsServerConnection(
      {
        framing: address.framing,
        serverLogicalAddress: address.serverLogicalAddress,
        ...(address.serverPhysicalAddress !== undefined ? { serverPhysicalAddress: address.serverPhysicalAddress } : {}),
        serverAddressSize: address.serverAddressSize,
        ...(address.serverWPort !== undefined ? { serverWPort: address.serverWPort } : {}),
        systemTitle: keys.systemTitle,
        invocationCounter: fleet.counters[index]!,
        maxReceivePduSize: fleet.profile.maxPduSize,
        // HDLC: up to 7 frames per window, as meters built for firmware transfer offer; a client proposing none gets 1.
        hdlc: { windowRx: 7, windowTx: 7 },
        associations: associationsFor(fleet.config.security, keys),
      },
      RANDOM,
    );
    this.info = {
      clientSap: 0,
      serverSap: address.serverLogicalAddress,
      mechanism: 0,
      ciphered: false,
      invocationCounter: 0,
      transferKeys: (wrapped) => {
        try {
          for (const k of wrapped) unwrapKey(keys.masterKey, k.data);
        } catch {
          return { result: ActionResult.otherReason };
        }
        return { result: ActionResult.success }; // accepted; the fleet's derived keys stay authoritative
      },
      push: (setup) => this.push(setup),
    };
    this.objects = new MeterObjects(fleet.table, { meter: this.meter, nowMs: fleet.now(), session: this.info });
  }

  receive(chunk: Uint8Array): void {
    if (this.closed) return;
    this.server.receiveData(chunk);
    this.pump();
  }

  /** A DataNotification with the push object list of a Push Setup (default: the on-connection one). */
  push(setupObis = this.fleet.profile.objects.pushSetup): boolean {
    this.objects.ctx.nowMs = this.fleet.now();
    return this.notify(pushBody(this.objects, setupObis));
  }

  /**
   * Sends a DataNotification: through the association when there is one; before any request on a
   * wrapper connection, as a WPDU to the push client SAP (the server connection learns the HES's wPort
   * only from its first request), general-glo-ciphered when the meter's security is high-gmac. An HDLC
   * link not yet set up cannot carry it: false.
   */
  notify(body: DlmsData): boolean {
    const time = meterDateTime(this.meter, meterTime(this.meter, this.fleet.now()));
    if (this.server.state === 'associated' || (this.address.framing === 'hdlc' && this.server.state !== 'disconnected')) {
      this.server.sendDataNotification(body, time);
      this.flush();
      return true;
    }
    if (this.address.framing !== 'wrapper') return false;
    const plain = encodeApdu({ type: 'data-notification', longInvokeIdAndPriority: 1, dateTime: time, body });
    const apdu = this.fleet.config.security === 'high-gmac' ? cipheredPush(this.fleet, this.index, plain, this.fleet.now()) : plain;
    this.io.write(encodeWpdu(this.address.serverWPort ?? 1, PUSH_CLIENT_SAP, apdu));
    return true;
  }

  private pump(): void {
    for (let e = this.server.nextEvent(); e; e = this.server.nextEvent()) {
      this.objects.ctx.nowMs = this.fleet.now();
      this.info.invocationCounter = this.server.invocationCounter;
      switch (e.type) {
        case 'associated': {
          const a = this.server.associations.find((x) => x.clientAddress === e.clientAddress);
          this.info.clientSap = e.clientAddress;
          this.info.mechanism = a?.authentication === 'high-gmac' ? 5 : a?.authentication === 'low' ? 1 : 0;
          this.info.ciphered = a !== undefined && a.securityPolicy !== 'none';
          if (e.clientSystemTitle) this.info.clientSystemTitle = e.clientSystemTitle;
          break;
        }
        case 'get-request':
          this.requests++;
          this.server.respondGet(e.invokeId, this.objects.get(e.attribute, e.access));
          break;
        case 'get-with-list-request':
          this.requests++;
          this.server.respondGetWithList(
            e.invokeId,
            e.attributes.map((a) => this.objects.get(a.attribute, a.access)),
          );
          break;
        case 'set-request':
          this.requests++;
          this.server.respondSet(e.invokeId, this.objects.set(e.attribute, e.value, e.access));
          break;
        case 'action-request': {
          this.requests++;
          const r = this.objects.action(e.method, e.parameters);
          this.server.respondAction(e.invokeId, r.result, r.returnParameters);
          break;
        }
        case 'released':
        case 'link-disconnected':
          this.persist();
          break;
        default:
      }
    }
    this.flush();
    if (this.faults.disconnectAfterRequests > 0 && this.requests >= this.faults.disconnectAfterRequests) this.close();
  }

  /** Frames written in this session: link faults draw from a hash of (meter, frame number), so a run repeats. */
  private frames = 0;

  private flush(): void {
    const out = this.server.takeOutgoing();
    if (out.length === 0 || this.faults.silent) return;
    const f = this.faults;
    for (const frame of out) {
      const n = this.frames++;
      if (f.dropRate > 0 && unit(this.meter.seed, n, 97) < f.dropRate) continue;
      let bytes = frame;
      if (f.corruptRate > 0 && unit(this.meter.seed, n, 98) < f.corruptRate) {
        bytes = frame.slice();
        bytes[Math.floor(unit(this.meter.seed, n, 99) * bytes.length)]! ^= 0x5a;
      }
      const delay = f.latencyMs + f.jitterMs * unit(this.meter.seed, n, 100);
      if (delay > 0) setTimeout(() => !this.closed && this.io.write(bytes), delay);
      else this.io.write(bytes);
    }
  }

  private persist(): void {
    this.fleet.counters[this.index] = this.server.invocationCounter;
    this.fleet.release(this.meter);
  }

  /** End of the connection (by either side). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.persist();
    this.fleet.leave(this.meter);
    this.io.close();
  }
}
