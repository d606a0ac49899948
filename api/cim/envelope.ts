/**
 * The IEC 61968-100 message envelope in JSON and XML: RequestMessage (and the noun-specific wrappers of the
 * IEC 61968-9 message schemas, e.g. CreateEndDeviceControls), bare or SOAP-wrapped, in the namespaces of the
 * 2011 and 2017 editions, parsed into one plain shape; ResponseMessage written back in the request's format.
 * XML attributes become plain properties (`<ReadingType ref="…"/>` ≡ `{"ReadingType": {"ref": "…"}}`), so
 * the nouns read JSON and XML alike. A message that does not parse or lacks a required element throws a
 * CimFault naming the element (its xpath), which the route answers as a ResponseMessage FAILED.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';

export type Format = 'json' | 'xml';
export type Plain = Record<string, unknown>;

export const VERBS = ['get', 'create', 'change', 'cancel', 'close', 'delete', 'execute', 'reply', 'created', 'changed', 'canceled', 'closed', 'deleted', 'executed'] as const;
/** The IEC TC57 message schema editions taken (namespaces http://iec.ch/TC57/2011/… and …/2017/…). */
export type Edition = '2011' | '2017';
const SOAP = ['http://schemas.xmlsoap.org/soap/envelope/', 'http://www.w3.org/2003/05/soap-envelope'];
const IEC_NS = /^http:\/\/iec\.ch\/TC57\/(2011|2017)\//;

export interface Header {
  Verb: string;
  Noun: string;
  Timestamp?: string;
  Source?: string;
  MessageID?: string;
  CorrelationID?: string;
  AsyncReplyFlag?: boolean;
  ReplyAddress?: string;
  User?: { UserID?: string; Organization?: string };
}

export interface CimMessage {
  format: Format;
  edition: Edition;
  /** The SOAP envelope namespace when the message came wrapped in one. */
  soap?: string;
  /** RequestMessage, or the noun-specific wrapper (GetMeterReadings, CreateEndDeviceControls, ...). */
  wrapper: string;
  header: Header;
  request: Plain;
  payload: Plain;
}

export type Level = 'INFORM' | 'WARNING' | 'FATAL' | 'CATASTROPHIC';

/** Reply.Error: `code` category.number (docs/cim.md "Reply codes"), `xpath` the element at fault, `ID` the object. */
export interface ReplyError {
  code: string;
  level: Level;
  reason: string;
  xpath?: string;
  ID?: { kind: 'uuid' | 'name' | 'transaction'; objectType: string; value: string };
}

export interface Reply {
  Result: 'OK' | 'PARTIAL' | 'FAILED';
  Error?: ReplyError[];
  /** Objects the request named, e.g. the command ids of created EndDeviceControls. */
  ID?: { kind: 'uuid' | 'name' | 'transaction'; objectType: string; value: string }[];
}

/** Reply codes of this HES (category.number: 0 success, 1 partial, 2 the request, 3 the service). */
export const CODES = {
  ok: '0.0',
  partial: '1.0',
  malformed: '2.1',
  unsupported: '2.2',
  invalidValue: '2.3',
  notFound: '2.4',
  tooMany: '2.5',
  forbidden: '2.6',
  unavailable: '3.1',
} as const;

/** A fault of the whole message: answered as a ResponseMessage FAILED with this one Error and HTTP `status`. */
export class CimFault extends Error {
  constructor(readonly code: string, message: string, readonly xpath: string, readonly status = 400) {
    super(message);
  }
}

/** The format a Content-Type asks for; undefined for neither JSON nor XML. */
export function formatOf(contentType: string | undefined): Format | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) return 'json';
  if (type === 'application/xml' || type === 'text/xml' || type.endsWith('+xml')) return 'xml';
  return undefined;
}

export const many = (v: unknown): unknown[] => (v === undefined || v === null || v === '' ? [] : Array.isArray(v) ? v : [v]);
export const text = (v: unknown): string | undefined => (typeof v === 'string' ? v.trim() : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined);
const isObject = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false, parseAttributeValue: false, trimValues: true, processEntities: true });

/** Resolves namespace prefixes and turns the parsed XML into plain objects (attributes as properties, xmlns dropped). */
function plainXml(name: string, node: unknown, scope: Map<string, string>): { local: string; ns: string | undefined; value: unknown } {
  const inner = new Map(scope);
  if (isObject(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (k === '@_xmlns') inner.set('', String(v));
      else if (k.startsWith('@_xmlns:')) inner.set(k.slice(8), String(v));
    }
  }
  const colon = name.indexOf(':');
  const local = colon < 0 ? name : name.slice(colon + 1);
  const ns = inner.get(colon < 0 ? '' : name.slice(0, colon));
  if (Array.isArray(node)) return { local, ns, value: node.map((n) => plainXml(name, n, scope).value) };
  if (!isObject(node)) return { local, ns, value: node };
  const out: Plain = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '@_xmlns' || k.startsWith('@_xmlns:')) continue;
    if (k.startsWith('@_')) {
      const a = k.slice(2);
      out[a.slice(a.indexOf(':') + 1)] = v;
    } else if (k === '#text') out.value = v;
    else {
      const child = plainXml(k, v, inner);
      out[child.local] = child.value;
    }
  }
  return { local, ns, value: out };
}

/** The root element of an XML document: name and content. */
function xmlRoot(doc: Plain, where: string): { name: string; node: unknown } {
  const names = Object.keys(doc).filter((k) => !k.startsWith('?') && !k.startsWith('#'));
  if (names.length !== 1) throw new CimFault(CODES.malformed, `${where} must hold exactly one element`, where);
  return { name: names[0]!, node: doc[names[0]!] };
}

function parseXml(body: string): Omit<CimMessage, 'format' | 'header' | 'request' | 'payload'> & { content: Plain } {
  // CIM messages carry no DTD; refusing one shuts out entity-expansion and external-entity tricks.
  if (/<!DOCTYPE/i.test(body)) throw new CimFault(CODES.malformed, 'a document type declaration (DOCTYPE) is not accepted', '/');
  const valid = XMLValidator.validate(body);
  if (valid !== true) {
    throw new CimFault(CODES.malformed, `malformed XML at line ${valid.err.line}, column ${valid.err.col}: ${valid.err.msg}`, '/');
  }
  const doc = parser.parse(body) as Plain;
  let { name, node } = xmlRoot(doc, '/');
  let root = plainXml(name, node, new Map());
  let soap: string | undefined;
  const scope = new Map<string, string>();
  /** Namespace declarations of an element, added to `scope` (the message inside the SOAP Body may use the envelope's). */
  const declare = (n: unknown) => {
    for (const [k, v] of Object.entries(isObject(n) ? n : {})) {
      if (k === '@_xmlns') scope.set('', String(v));
      else if (k.startsWith('@_xmlns:')) scope.set(k.slice(8), String(v));
    }
  };
  if (root.local === 'Envelope' && root.ns && SOAP.includes(root.ns)) {
    soap = root.ns;
    declare(node);
    const bodyKey = Object.keys(isObject(node) ? node : {}).find((k) => k === 'Body' || k.endsWith(':Body'));
    const bodyNode = bodyKey ? (node as Plain)[bodyKey] : undefined;
    if (!isObject(bodyNode)) throw new CimFault(CODES.malformed, 'the SOAP envelope has no Body', '/Envelope/Body');
    declare(bodyNode);
    const inside = Object.keys(bodyNode).filter((k) => !k.startsWith('@_') && k !== '#text');
    if (inside.length !== 1) throw new CimFault(CODES.malformed, 'the SOAP Body must hold exactly one message', '/Envelope/Body');
    name = inside[0]!;
    node = bodyNode[name];
    root = plainXml(name, node, scope);
  }
  const m = root.ns ? IEC_NS.exec(root.ns) : null;
  if (!m) {
    throw new CimFault(CODES.malformed, `${root.local} is in namespace ${root.ns ?? '(none)'}, not an IEC TC57 2011 or 2017 message namespace (e.g. http://iec.ch/TC57/2011/schema/message)`, `/${root.local}`);
  }
  return { edition: m[1] as Edition, ...(soap ? { soap } : {}), wrapper: root.local, content: isObject(root.value) ? root.value : {} };
}

function parseJson(body: string): { wrapper: string; content: Plain } {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    throw new CimFault(CODES.malformed, `malformed JSON: ${(e as Error).message}`, '/');
  }
  if (!isObject(doc)) throw new CimFault(CODES.malformed, 'the message must be a JSON object', '/');
  const keys = Object.keys(doc);
  // {"RequestMessage": {...}} or {"CreateEndDeviceControls": {...}}; a bare {"Header": ...} is a RequestMessage.
  if (keys.length === 1 && isObject(doc[keys[0]!]) && keys[0] !== 'Header') return { wrapper: keys[0]!, content: doc[keys[0]!] as Plain };
  return { wrapper: 'RequestMessage', content: doc };
}

/** Parses a request message; throws CimFault naming the element at fault. */
export function parseMessage(body: string, format: Format): CimMessage {
  const p = format === 'xml' ? parseXml(body) : { edition: '2011' as Edition, ...parseJson(body) };
  const at = `/${p.wrapper}`;
  if (p.wrapper !== 'RequestMessage' && !/^[A-Z][a-z]+[A-Z]\w+$/.test(p.wrapper)) {
    throw new CimFault(CODES.malformed, `${p.wrapper} is not RequestMessage nor a noun-specific message such as CreateEndDeviceControls`, at);
  }
  const h = p.content.Header;
  if (!isObject(h)) throw new CimFault(CODES.malformed, `${p.wrapper} has no Header`, `${at}/Header`);
  const verb = text(h.Verb);
  const noun = text(h.Noun);
  if (!verb) throw new CimFault(CODES.malformed, 'Header has no Verb', `${at}/Header/Verb`);
  if (!(VERBS as readonly string[]).includes(verb)) throw new CimFault(CODES.unsupported, `Header.Verb "${verb}" is not an IEC 61968-100 verb`, `${at}/Header/Verb`);
  if (!noun) throw new CimFault(CODES.malformed, 'Header has no Noun', `${at}/Header/Noun`);
  if (p.wrapper !== 'RequestMessage' && p.wrapper.toLowerCase() !== `${verb}${noun}`.toLowerCase()) {
    throw new CimFault(CODES.malformed, `a ${p.wrapper} message cannot carry Header.Verb "${verb}" and Noun "${noun}"`, `${at}/Header/Verb`);
  }
  const async = text(h.AsyncReplyFlag);
  if (async !== undefined && async !== 'true' && async !== 'false') throw new CimFault(CODES.malformed, 'Header.AsyncReplyFlag must be true or false', `${at}/Header/AsyncReplyFlag`);
  const timestamp = text(h.Timestamp);
  if (timestamp !== undefined && Number.isNaN(Date.parse(timestamp))) throw new CimFault(CODES.malformed, 'Header.Timestamp must be a date-time', `${at}/Header/Timestamp`);
  const user = isObject(h.User) ? { UserID: text(h.User.UserID), Organization: text(h.User.Organization) } : undefined;
  const header: Header = {
    Verb: verb, Noun: noun, Timestamp: timestamp, Source: text(h.Source), MessageID: text(h.MessageID), CorrelationID: text(h.CorrelationID),
    AsyncReplyFlag: async === undefined ? undefined : async === 'true', ReplyAddress: text(h.ReplyAddress), User: user,
  };
  for (const part of ['Request', 'Payload'] as const) {
    const v = p.content[part];
    if (v !== undefined && v !== '' && !isObject(v)) throw new CimFault(CODES.malformed, `${part} must be an element with content`, `${at}/${part}`);
  }
  const { content, ...rest } = p;
  return { ...rest, format, header, request: isObject(content.Request) ? content.Request : {}, payload: isObject(content.Payload) ? content.Payload : {} };
}

/** What a reply is about: the request's format, edition, SOAP wrapping and wrapper, when known. */
export type ReplyTo = Pick<CimMessage, 'format' | 'edition' | 'soap' | 'wrapper'> & { header?: Header };

/** The ResponseMessage (or `<Noun>ResponseMessage` for noun-specific requests) as JSON or XML text. */
export function renderResponse(to: ReplyTo, reply: Reply, payload?: Plain, now = Date.now()): { contentType: string; body: string } {
  return render(to, 'Response', 'reply', reply, payload, now);
}

/**
 * An EventMessage (or `<Noun>EventMessage` when the request was noun-specific) following up a request, in its
 * format: e.g. `changed EndDeviceControls` with the outcome of controls an asynchronous request created.
 */
export function renderEvent(to: ReplyTo, verb: string, payload: Plain, now = Date.now()): { contentType: string; body: string } {
  return render(to, 'Event', verb, undefined, payload, now);
}

function render(to: ReplyTo, kind: 'Response' | 'Event', verb: string, reply: Reply | undefined, payload: Plain | undefined, now: number): { contentType: string; body: string } {
  const noun = to.header?.Noun;
  const nounSpecific = to.wrapper !== 'RequestMessage' && noun !== undefined;
  const name = nounSpecific ? `${noun}${kind}Message` : `${kind}Message`;
  const header: Plain = {
    Verb: verb, Noun: noun ?? 'Unknown', Timestamp: new Date(now).toISOString(), Source: 'HES', MessageID: randomUUID(),
    ...(to.header?.MessageID || to.header?.CorrelationID ? { CorrelationID: to.header.CorrelationID ?? to.header.MessageID } : {}),
  };
  const message: Plain = { Header: header, ...(reply ? { Reply: reply } : {}), ...(payload ? { Payload: payload } : {}) };
  if (to.format === 'json') return { contentType: 'application/json; charset=utf-8', body: JSON.stringify({ [name]: message }) };
  const ns = nounSpecific ? `http://iec.ch/TC57/${to.edition}/${noun}Message` : `http://iec.ch/TC57/${to.edition}/schema/message`;
  const body = toXml(message);
  // Each payload noun in its own namespace, e.g. http://iec.ch/TC57/2011/MeterReadings#.
  if (payload) body.Payload = Object.fromEntries(Object.entries(body.Payload as Plain).map(([k, x]) => [k, { '@_xmlns': `http://iec.ch/TC57/${to.edition}/${k}#`, ...(x as Plain) }]));
  const root = { [name]: { '@_xmlns': ns, ...body } };
  const doc = to.soap ? { 'soap:Envelope': { '@_xmlns:soap': to.soap, 'soap:Body': root } } : root;
  const type = to.soap === SOAP[1] ? 'application/soap+xml' : to.soap ? 'text/xml' : 'application/xml';
  return { contentType: `${type}; charset=utf-8`, body: `<?xml version="1.0" encoding="UTF-8"?>${builder.build(doc)}` };
}

/** A payload list written as its items arrive: `Payload/<noun>/<element>` repeated (e.g. MeterReadings/MeterReading). */
export interface PayloadStream {
  noun: string;
  element: string;
  items: AsyncIterable<Plain>;
}

const ITEMS = '__HES_PAYLOAD_ITEMS__';

/**
 * renderResponse with a payload list streamed item by item, so a large reply is never one object tree or one
 * string: the envelope is rendered around a placeholder and cut there.
 */
export function renderResponseStream(to: ReplyTo, reply: Reply, list: PayloadStream, now = Date.now()): { contentType: string; body: Readable } {
  const { contentType, body } = renderResponse(to, reply, { [list.noun]: { [list.element]: ITEMS } }, now);
  const marker = to.format === 'json' ? `"${list.element}":"${ITEMS}"` : `<${list.element}>${ITEMS}</${list.element}>`;
  const at = body.indexOf(marker);
  const [head, tail] = [body.slice(0, at), body.slice(at + marker.length)];
  async function* chunks(): AsyncGenerator<string> {
    yield to.format === 'json' ? `${head}"${list.element}":[` : head;
    let first = true;
    for await (const item of list.items) {
      yield to.format === 'json' ? (first ? '' : ',') + JSON.stringify(item) : builder.build({ [list.element]: toXml(item) });
      first = false;
    }
    yield to.format === 'json' ? `]${tail}` : tail;
  }
  return { contentType, body: Readable.from(chunks()) };
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: true, suppressBooleanAttributes: false });

/** Properties that are XML attributes when written as XML (CIM references and identifier qualifiers). */
const ATTRIBUTES = new Set(['ref', 'kind', 'objectType']);

/** Plain objects to the builder's shape: ATTRIBUTES as attributes, `value` beside attributes as text. */
function toXml(v: Plain): Plain {
  const out: Plain = {};
  const hasAttributes = Object.keys(v).some((k) => ATTRIBUTES.has(k));
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined) continue;
    if (ATTRIBUTES.has(k)) out[`@_${k}`] = x;
    else if (k === 'value' && hasAttributes) out['#text'] = x;
    else out[k] = Array.isArray(x) ? x.map((i) => (isObject(i) ? toXml(i) : i)) : isObject(x) ? toXml(x) : x;
  }
  return out;
}
