/**
 * Test support, imported by *.test.ts only: fast-check generators of every xDLMS APDU this folder
 * encodes (for round-trip properties) and a byte-exact round trip of captured fixtures.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { CosemDateTime, DlmsData } from '../axdr/types.js';
import { type Apdu, decodeApdu, encodeApdu } from './index.js';
import { fromHex, toHex } from '../axdr/writer.js';
import type {
  AttributeWithSelection,
  CosemAttributeDescriptor,
  CosemMethodDescriptor,
  DataBlockSA,
  GetDataResult,
  SelectiveAccess,
} from './xdlms/common.js';
import type { ActionResponseItem } from './xdlms/action/response.js';

/** fc.record with ordinary prototypes, so that deepStrictEqual compares decoded and generated objects. */
const rec = ((model: never, constraints?: object) => fc.record(model, { ...constraints, noNullPrototype: true } as never)) as typeof fc.record;

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const i8 = fc.integer({ min: -128, max: 127 });
const bytes = (maxLength = 40) => fc.uint8Array({ maxLength });

export const arbDateTime: fc.Arbitrary<CosemDateTime> = rec({
  year: u16,
  month: u8,
  dayOfMonth: u8,
  dayOfWeek: u8,
  hour: u8,
  minute: u8,
  second: u8,
  hundredths: u8,
  deviation: fc.integer({ min: -0x8000, max: 0x7fff }),
  clockStatus: u8,
});

const arbScalar: fc.Arbitrary<DlmsData> = fc.oneof(
  fc.constant<DlmsData>({ type: 'null-data' }),
  fc.boolean().map((value): DlmsData => ({ type: 'boolean', value })),
  u8.map((value): DlmsData => ({ type: 'unsigned', value })),
  u8.map((value): DlmsData => ({ type: 'enum', value })),
  i8.map((value): DlmsData => ({ type: 'integer', value })),
  u16.map((value): DlmsData => ({ type: 'long-unsigned', value })),
  fc.integer({ min: -0x8000, max: 0x7fff }).map((value): DlmsData => ({ type: 'long', value })),
  u32.map((value): DlmsData => ({ type: 'double-long-unsigned', value })),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }).map((value): DlmsData => ({ type: 'double-long', value })),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((value): DlmsData => ({ type: 'long64-unsigned', value })),
  bytes().map((value): DlmsData => ({ type: 'octet-string', value })),
  fc.string({ unit: fc.constantFrom(...'abcXYZ019 -_:'.split('')), maxLength: 20 }).map((value): DlmsData => ({ type: 'visible-string', value })),
  arbDateTime.map((value): DlmsData => ({ type: 'date-time', value })),
);

export const arbData: fc.Arbitrary<DlmsData> = fc.letrec<{ data: DlmsData }>((tie) => ({
  data: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    arbScalar,
    fc.array(tie('data'), { maxLength: 4 }).map((value): DlmsData => ({ type: 'structure', value })),
    fc.array(tie('data'), { maxLength: 4 }).map((value): DlmsData => ({ type: 'array', value })),
  ),
})).data;

const obis = fc.uint8Array({ minLength: 6, maxLength: 6 });

const arbAttribute: fc.Arbitrary<CosemAttributeDescriptor> = rec({ classId: u16, instanceId: obis, attributeId: i8 });
const arbMethod: fc.Arbitrary<CosemMethodDescriptor> = rec({ classId: u16, instanceId: obis, methodId: i8 });
const arbAccess: fc.Arbitrary<SelectiveAccess> = rec({ selector: u8, parameters: arbData });
const arbWithSelection: fc.Arbitrary<AttributeWithSelection> = rec(
  { attribute: arbAttribute, access: arbAccess },
  { requiredKeys: ['attribute'] },
);
const arbGetDataResult: fc.Arbitrary<GetDataResult> = fc.oneof(
  arbData.map((value): GetDataResult => ({ type: 'data', value })),
  u8.map((value): GetDataResult => ({ type: 'data-access-result', value })),
);
const arbBlock: fc.Arbitrary<DataBlockSA> = rec({ lastBlock: fc.boolean(), blockNumber: u32, rawData: bytes(200) });
const arbActionItem: fc.Arbitrary<ActionResponseItem> = rec(
  { result: u8, returnParameters: arbGetDataResult },
  { requiredKeys: ['result'] },
);
const list = <T>(a: fc.Arbitrary<T>) => fc.array(a, { maxLength: 4 });

/** One generator per APDU type, keyed by its `type`. */
export const arbApduByType = {
  'get-request-normal': rec(
    { type: fc.constant('get-request-normal' as const), invokeIdAndPriority: u8, attribute: arbAttribute, access: arbAccess },
    { requiredKeys: ['type', 'invokeIdAndPriority', 'attribute'] },
  ),
  'get-request-next': rec({ type: fc.constant('get-request-next' as const), invokeIdAndPriority: u8, blockNumber: u32 }),
  'get-request-with-list': rec({
    type: fc.constant('get-request-with-list' as const),
    invokeIdAndPriority: u8,
    attributes: list(arbWithSelection),
  }),
  'get-response-normal': rec({ type: fc.constant('get-response-normal' as const), invokeIdAndPriority: u8, result: arbGetDataResult }),
  'get-response-with-datablock': rec({
    type: fc.constant('get-response-with-datablock' as const),
    invokeIdAndPriority: u8,
    lastBlock: fc.boolean(),
    blockNumber: u32,
    result: fc.oneof(
      bytes(200).map((value) => ({ type: 'raw-data' as const, value })),
      u8.map((value) => ({ type: 'data-access-result' as const, value })),
    ),
  }),
  'get-response-with-list': rec({
    type: fc.constant('get-response-with-list' as const),
    invokeIdAndPriority: u8,
    results: list(arbGetDataResult),
  }),
  'set-request-normal': rec(
    { type: fc.constant('set-request-normal' as const), invokeIdAndPriority: u8, attribute: arbAttribute, access: arbAccess, value: arbData },
    { requiredKeys: ['type', 'invokeIdAndPriority', 'attribute', 'value'] },
  ),
  'set-request-with-first-datablock': rec(
    {
      type: fc.constant('set-request-with-first-datablock' as const),
      invokeIdAndPriority: u8,
      attribute: arbAttribute,
      access: arbAccess,
      block: arbBlock,
    },
    { requiredKeys: ['type', 'invokeIdAndPriority', 'attribute', 'block'] },
  ),
  'set-request-with-datablock': rec({ type: fc.constant('set-request-with-datablock' as const), invokeIdAndPriority: u8, block: arbBlock }),
  'set-request-with-list': rec({
    type: fc.constant('set-request-with-list' as const),
    invokeIdAndPriority: u8,
    attributes: list(arbWithSelection),
    values: list(arbData),
  }),
  'set-request-with-list-and-first-datablock': rec({
    type: fc.constant('set-request-with-list-and-first-datablock' as const),
    invokeIdAndPriority: u8,
    attributes: list(arbWithSelection),
    block: arbBlock,
  }),
  'set-response-normal': rec({ type: fc.constant('set-response-normal' as const), invokeIdAndPriority: u8, result: u8 }),
  'set-response-datablock': rec({ type: fc.constant('set-response-datablock' as const), invokeIdAndPriority: u8, blockNumber: u32 }),
  'set-response-last-datablock': rec({
    type: fc.constant('set-response-last-datablock' as const),
    invokeIdAndPriority: u8,
    result: u8,
    blockNumber: u32,
  }),
  'set-response-last-datablock-with-list': rec({
    type: fc.constant('set-response-last-datablock-with-list' as const),
    invokeIdAndPriority: u8,
    results: list(u8),
    blockNumber: u32,
  }),
  'set-response-with-list': rec({ type: fc.constant('set-response-with-list' as const), invokeIdAndPriority: u8, results: list(u8) }),
  'action-request-normal': rec(
    { type: fc.constant('action-request-normal' as const), invokeIdAndPriority: u8, method: arbMethod, parameters: arbData },
    { requiredKeys: ['type', 'invokeIdAndPriority', 'method'] },
  ),
  'action-request-next-pblock': rec({ type: fc.constant('action-request-next-pblock' as const), invokeIdAndPriority: u8, blockNumber: u32 }),
  'action-request-with-list': rec({
    type: fc.constant('action-request-with-list' as const),
    invokeIdAndPriority: u8,
    methods: list(arbMethod),
    parameters: list(arbData),
  }),
  'action-request-with-first-pblock': rec({
    type: fc.constant('action-request-with-first-pblock' as const),
    invokeIdAndPriority: u8,
    method: arbMethod,
    block: arbBlock,
  }),
  'action-request-with-list-and-first-pblock': rec({
    type: fc.constant('action-request-with-list-and-first-pblock' as const),
    invokeIdAndPriority: u8,
    methods: list(arbMethod),
    block: arbBlock,
  }),
  'action-request-with-pblock': rec({ type: fc.constant('action-request-with-pblock' as const), invokeIdAndPriority: u8, block: arbBlock }),
  'action-response-normal': rec({ type: fc.constant('action-response-normal' as const), invokeIdAndPriority: u8, response: arbActionItem }),
  'action-response-with-pblock': rec({ type: fc.constant('action-response-with-pblock' as const), invokeIdAndPriority: u8, block: arbBlock }),
  'action-response-with-list': rec({
    type: fc.constant('action-response-with-list' as const),
    invokeIdAndPriority: u8,
    responses: list(arbActionItem),
  }),
  'action-response-next-pblock': rec({ type: fc.constant('action-response-next-pblock' as const), invokeIdAndPriority: u8, blockNumber: u32 }),
  'data-notification': rec(
    { type: fc.constant('data-notification' as const), longInvokeIdAndPriority: u32, dateTime: arbDateTime, body: arbData },
    { requiredKeys: ['type', 'longInvokeIdAndPriority', 'body'] },
  ),
  'event-notification-request': rec(
    { type: fc.constant('event-notification-request' as const), time: arbDateTime, attribute: arbAttribute, value: arbData },
    { requiredKeys: ['type', 'attribute', 'value'] },
  ),
  'exception-response': fc.oneof(
    rec({ type: fc.constant('exception-response' as const), stateError: u8, serviceError: fc.integer({ min: 1, max: 5 }) }),
    rec({ type: fc.constant('exception-response' as const), stateError: u8, serviceError: fc.constant(6), invocationCounter: u32 }),
  ),
  'confirmed-service-error': rec({
    type: fc.constant('confirmed-service-error' as const),
    service: fc.integer({ min: 1, max: 19 }),
    error: fc.integer({ min: 0, max: 10 }),
    value: u8,
  }),
  'general-block-transfer': rec({
    type: fc.constant('general-block-transfer' as const),
    lastBlock: fc.boolean(),
    streaming: fc.boolean(),
    window: fc.integer({ min: 0, max: 63 }),
    blockNumber: u16,
    blockNumberAck: u16,
    blockData: bytes(300),
  }),
} satisfies Partial<Record<Apdu['type'], fc.Arbitrary<Apdu>>>;

/** Decodes a hex fixture, checks that it re-encodes to the same bytes, and returns the APDU. */
export function roundTripHex(hex: string): Apdu {
  const bytes = fromHex(hex);
  const apdu = decodeApdu(bytes);
  assert.equal(toHex(encodeApdu(apdu)), toHex(bytes));
  return apdu;
}
