/**
 * The COSEM objects of a device profile and the `CosemServerObjects` of one meter in one session.
 * The object table is built once per profile (and push target) and shared by all its meters.
 */
import type { DlmsData } from '../../decoders/dlms/axdr/types.js';
import { ActionResult, DataAccessResult, type CosemAttributeDescriptor, type CosemMethodDescriptor, type SelectiveAccess } from '../../decoders/dlms/apdu/index.js';
import { associationLnAttributes, classSpec, ClassId, AttributeAccessMode, MethodAccessMode, type ObjectListEntry } from '../../decoders/dlms/cosem/index.js';
import { parseObis } from '../../decoders/dlms/obis.js';
import type { CompiledProfile } from '../profiles/profile.js';
import { activityCalendar, disconnectControl, imageTransfer, limiter, securitySetup, specialDays } from './control.js';
import { pushSetupObject, pushSetupSpecs, type PushSetupSpec, type PushTarget } from './push.js';
import { clockObject, dataObjects, energyRegisters, instantaneousRegisters, logicalNameOf } from './measurements.js';
import { eventCodeObjects, profileObjects } from './profile-generic.js';
import { NO_ATTRIBUTE, data, failure, type ActionOutcome, type CosemServerObjects, type ObjectContext, type ObjectHandler } from './types.js';

export type { ActionOutcome, CosemServerObjects, ObjectContext, ObjectHandler, SessionInfo } from './types.js';
export { pushBody, type PushSetupSpec, type PushTarget, type PushTrigger } from './push.js';

const ASSOCIATION_VERSION = 2; // access modes as enums (versions 0–2), the form most clients expect

function keyOf(classId: number, ln: Uint8Array): string {
  return `${classId}/${ln.join('.')}`;
}

export class ObjectTable {
  readonly byKey = new Map<string, ObjectHandler>();
  readonly objectList: DlmsData;
  /** The Push Setup objects and what triggers each. */
  readonly pushSetups: PushSetupSpec[];

  constructor(
    readonly profile: CompiledProfile,
    push: PushTarget,
  ) {
    const p = profile;
    this.pushSetups = pushSetupSpecs(p);
    const handlers: ObjectHandler[] = [
      associationObject(p.objects.association, this),
      clockObject(p.objects.clock),
      ...dataObjects(p),
      ...energyRegisters(p),
      ...instantaneousRegisters(p),
      ...profileObjects(p),
      ...eventCodeObjects(p),
      ...p.relays.map((r, i) => disconnectControl(r, i)),
      imageTransfer(p.objects.imageTransfer),
      activityCalendar(p),
      specialDays(p),
      limiter(p),
      ...this.pushSetups.map((s) => pushSetupObject(s, push)),
      securitySetup(p),
    ];
    for (const h of handlers) {
      const k = keyOf(h.classId, h.logicalName);
      if (this.byKey.has(k)) throw new Error(`${p.name}: object ${h.classId}/${h.obis} defined twice`);
      this.byKey.set(k, h);
    }
    this.objectList = associationLnAttributes.objectList.encode(handlers.map(objectListEntry));
  }

  handler(classId: number, ln: Uint8Array): ObjectHandler | undefined {
    return this.byKey.get(keyOf(classId, ln));
  }
}

function objectListEntry(h: ObjectHandler): ObjectListEntry {
  const spec = classSpec(h.classId)!;
  const attributes = [1, ...spec.attributes.map((a) => a.id)];
  return {
    classId: h.classId,
    version: h.classId === ClassId.associationLn ? ASSOCIATION_VERSION : spec.version,
    logicalName: h.obis,
    accessRights: {
      attributes: attributes.map((id) => ({
        id,
        mode: h.writable.includes(id) ? AttributeAccessMode.readAndWrite : AttributeAccessMode.readOnly,
        selectors: h.selective?.includes(id) ? [1, 2] : null,
      })),
      methods: spec.methods.map((m) => ({ id: m.id, mode: h.methods.includes(m.id) ? MethodAccessMode.access : MethodAccessMode.noAccess })),
    },
  };
}

const DLMS_UA = [2, 16, 756, 5, 8];

function associationObject(obis: string, table: ObjectTable): ObjectHandler {
  const a = associationLnAttributes;
  return {
    classId: ClassId.associationLn,
    obis,
    logicalName: parseObis(obis),
    writable: [],
    methods: [],
    get(ctx, attr) {
      const s = ctx.session;
      switch (attr) {
        case 1:
          return data(logicalNameOf(obis));
        case 2:
          return data(table.objectList);
        case 3:
          return data(a.associatedPartnersId.encode({ clientSap: s.clientSap, serverSap: s.serverSap }));
        case 4:
          return data(a.applicationContextName.encode({ arcs: [...DLMS_UA, 1, s.ciphered ? 3 : 1], encoding: 'octet-string' }));
        case 6:
          return data(a.authenticationMechanismName.encode({ arcs: [...DLMS_UA, 2, s.mechanism], encoding: 'octet-string' }));
        case 7:
          return failure(DataAccessResult.readWriteDenied);
        case 8:
          return data(a.associationStatus.encode(2));
        case 9:
          return data(a.securitySetupReference.encode(table.profile.objects.securitySetup));
      }
      return NO_ATTRIBUTE;
    },
  };
}

/** A meter's objects as one session sees them. */
export class MeterObjects implements CosemServerObjects {
  constructor(
    private readonly table: ObjectTable,
    readonly ctx: ObjectContext,
  ) {}

  get(attribute: CosemAttributeDescriptor, access?: SelectiveAccess) {
    const h = this.table.handler(attribute.classId, attribute.instanceId);
    if (!h) return failure(DataAccessResult.objectUndefined);
    if (access && !h.selective?.includes(attribute.attributeId)) return failure(DataAccessResult.otherReason);
    return h.get(this.ctx, attribute.attributeId, access);
  }

  set(attribute: CosemAttributeDescriptor, value: DlmsData, access?: SelectiveAccess): number {
    const h = this.table.handler(attribute.classId, attribute.instanceId);
    if (!h) return DataAccessResult.objectUndefined;
    if (access || !h.set || !h.writable.includes(attribute.attributeId)) return DataAccessResult.readWriteDenied;
    return h.set(this.ctx, attribute.attributeId, value);
  }

  action(method: CosemMethodDescriptor, parameters?: DlmsData): ActionOutcome {
    const h = this.table.handler(method.classId, method.instanceId);
    if (!h) return { result: ActionResult.objectUndefined };
    if (!h.action || !h.methods.includes(method.methodId)) return { result: ActionResult.readWriteDenied };
    return h.action(this.ctx, method.methodId, parameters);
  }
}
