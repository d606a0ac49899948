import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeDataBytes, encodeDataBytes } from '../axdr/data.js';
import { fromHex, toHex } from '../axdr/writer.js';
import {
  AccessBits,
  AssociationStatus,
  applicationContextId,
  associationLnAttributes,
  associationLnMethods,
  canExecute,
  canRead,
  canWrite,
  mechanismId,
  type ObjectListEntry,
} from './association-ln.js';
import { assertValueError, roundTrip } from './test-helpers.js';

function fixture(name: string): Uint8Array {
  const text = readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
  return fromHex(text.split('\n').filter((l) => !l.startsWith('#')).join(' '));
}

test('published object_list (version 0 access rights) decodes and re-encodes byte for byte', () => {
  // chandangeek/Connexo_Code upl/com.energyict.mdc.upl.impl/dlms-elster/src/test/java/com/elster/dlms/cosem/classes/info/CosemClassInfosTest.java
  const bytes = fixture('object-list-v0.hex');
  const list = associationLnAttributes.objectList.decode(decodeDataBytes(bytes));
  assert.equal(list.length, 23);
  const clock = list[0]!;
  assert.equal(clock.classId, 8);
  assert.equal(clock.version, 0);
  assert.equal(clock.logicalName, '0.0.1.0.0.255');
  assert.deepEqual(
    clock.accessRights.attributes.map((a) => [a.id, a.mode, a.selectors]),
    [[1, 1, null], [2, 3, null], [3, 3, null], [4, 1, null], [5, 1, null], [6, 1, null], [7, 1, null], [8, 3, null], [9, 1, null]],
  );
  assert.deepEqual(clock.accessRights.methods, [1, 2, 3, 4, 5, 6].map((id) => ({ id, mode: false })));
  assert.deepEqual(list.map((e) => `${e.classId}/${e.logicalName}`).slice(1, 3), ['3/7.0.97.97.0.255', '3/7.0.13.2.0.255']);
  const sn = list.find((e) => e.classId === 12)!;
  assert.equal(sn.version, 1);
  assert.equal(sn.logicalName, '0.0.40.0.0.255');
  assert.equal(canRead(clock.accessRights.attributes[1]!.mode, 0), true);
  assert.equal(canWrite(clock.accessRights.attributes[1]!.mode, 0), true);
  assert.equal(canWrite(clock.accessRights.attributes[0]!.mode, 0), false);
  assert.equal(canExecute(clock.accessRights.methods[0]!.mode, 0), false);
  assert.equal(toHex(encodeDataBytes(associationLnAttributes.objectList.encode(list))), toHex(bytes));
});

test('version 1–3 entries: enum method access, access selectors', () => {
  const entry: ObjectListEntry = {
    classId: 7,
    version: 1,
    logicalName: '1.0.99.1.0.255',
    accessRights: {
      attributes: [
        { id: 1, mode: 1, selectors: null },
        { id: 2, mode: 1, selectors: [1, 2] },
      ],
      methods: [{ id: 1, mode: 2 }],
    },
  };
  const bytes = roundTrip(associationLnMethods.addObject, entry);
  assert.equal(
    toHex(bytes),
    // structure { class_id 7, version 1, logical_name, access_rights { attribute_access[2], method_access[1] } }
    '0204' + '120007' + '1101' + '0906' + '0100630100FF' + '0202' + '0102' + '02030F011601' + '00' + '02030F021601' + '0102' + '0F010F02' + '0101' + '02020F011602',
  );
  assert.equal(canExecute(2, 2), true);
  assert.equal(canRead(4, 2), true);
  assert.equal(canWrite(4, 2), false);
  // version 3 bit map: read + authenticated request + encrypted response
  const v3 = AccessBits.read | AccessBits.authenticatedRequest | AccessBits.encryptedResponse;
  assert.equal(canRead(v3, 3), true);
  assert.equal(canWrite(v3, 3), false);
  assert.equal(canExecute(AccessBits.read, 3), true);
});

test('application context and mechanism names (Green Book AARQ examples)', () => {
  // OIDs from the AARQ examples of the DLMS Green Book, as in u9n/dlms-cosem tests/test_asce/test_aarq.py
  const ln = associationLnAttributes.applicationContextName.decode({ type: 'octet-string', value: fromHex('60 85 74 05 08 01 01') });
  assert.deepEqual(ln, { arcs: [2, 16, 756, 5, 8, 1, 1], encoding: 'octet-string' });
  assert.equal(applicationContextId(ln), 1);
  const gmac = associationLnAttributes.authenticationMechanismName.decode({ type: 'octet-string', value: fromHex('60 85 74 05 08 02 05') });
  assert.equal(mechanismId(gmac), 5);
  assert.equal(applicationContextId(gmac), undefined);
  assert.deepEqual(associationLnAttributes.applicationContextName.encode({ arcs: [2, 16, 756, 5, 8, 1, 3], encoding: 'octet-string' }), {
    type: 'octet-string',
    value: fromHex('60 85 74 05 08 01 03'),
  });
  // the older structure form of the same name
  const structured = { arcs: [2, 16, 756, 5, 8, 1, 1], encoding: 'structure' as const };
  assert.equal(toHex(roundTrip(associationLnAttributes.applicationContextName, structured)), '0207110211101202F4110511081101' + '1101');
  assertValueError(() => associationLnAttributes.applicationContextName.decode({ type: 'octet-string', value: fromHex('60 85') }), 'Association LN.application_context_name', 'ends inside');
  assertValueError(() => associationLnAttributes.authenticationMechanismName.decode({ type: 'structure', value: [] }), 'Association LN.authentication_mechanism_name');
});

test('other Association LN attributes and methods round trip', () => {
  roundTrip(associationLnAttributes.associatedPartnersId, { clientSap: 16, serverSap: 1 });
  roundTrip(associationLnAttributes.xdlmsContextInfo, {
    conformance: { length: 24, bytes: fromHex('00 7E 1F') },
    maxReceivePduSize: 1024,
    maxSendPduSize: 512,
    dlmsVersionNumber: 6,
    qualityOfService: 0,
    cypheringInfo: new Uint8Array(0),
  });
  roundTrip(associationLnAttributes.secret, fromHex('31 32 33 34 35 36 37 38'));
  roundTrip(associationLnAttributes.associationStatus, AssociationStatus.associated);
  roundTrip(associationLnAttributes.securitySetupReference, '0.0.43.0.0.255');
  roundTrip(associationLnAttributes.userList, [{ id: 1, name: 'operator' }]);
  roundTrip(associationLnAttributes.currentUser, { id: 1, name: 'operator' });
  roundTrip(associationLnMethods.replyToHlsAuthentication, fromHex('10 00 00 00 01 AA'));
  roundTrip(associationLnMethods.changeHlsSecret, fromHex('00 11 22 33'));
  roundTrip(associationLnMethods.removeUser, { id: 2, name: 'x' });
  assert.equal(associationLnMethods.changeHlsSecret.id, 2);
});

test('wrong shapes name the Association LN attribute and element', () => {
  const entry = decodeDataBytes(fixture('object-list-v0.hex'));
  if (entry.type !== 'array') throw new Error('fixture');
  const broken = { type: 'array' as const, value: [{ type: 'structure' as const, value: entry.value[0]!.type === 'structure' ? entry.value[0]!.value.slice(0, 3) : [] }] };
  assertValueError(() => associationLnAttributes.objectList.decode(broken), 'Association LN.object_list[0]', 'structure of 4', 'structure of 3');
  assertValueError(() => associationLnAttributes.associationStatus.decode({ type: 'enum', value: 3 }), 'Association LN.association_status');
  assertValueError(() => associationLnAttributes.securitySetupReference.decode({ type: 'octet-string', value: new Uint8Array(4) }), 'Association LN.security_setup_reference');
  assertValueError(() => associationLnAttributes.associatedPartnersId.decode({ type: 'structure', value: [{ type: 'integer', value: 16 }, { type: 'unsigned', value: 1 }] }), 'associated_partners_id.server_SAP');
});
