/**
 * The scheduler's DeviceReader in the running HES: each comm line's protocol picks the reader that speaks
 * it (DLMS: scheduler/dlms-reader.ts, MBUS: scheduler/mbus-reader.ts); the scheduler itself knows none.
 */
import { LinkError, type CommLineRef, type DeviceLink, type DeviceReader, type DeviceTarget } from './reader.js';

export class ProtocolReaders implements DeviceReader {
  constructor(private readonly byProtocol: Readonly<Record<string, DeviceReader>>) {}

  open(device: DeviceTarget, line: CommLineRef, signal: AbortSignal): Promise<DeviceLink> {
    const reader = this.byProtocol[line.protocolKind];
    if (!reader) return Promise.reject(new LinkError(`no meter reader speaks protocol ${line.protocolKind} (read: ${Object.keys(this.byProtocol).join(', ')})`));
    return reader.open(device, line, signal);
  }
}
