/**
 * Schema ids and the Confluent wire format: magic byte 0, 4-byte big-endian schema id, Avro body.
 * Scale-out mode registers schemas with a Schema Registry (@confluentinc/schemaregistry); embedded mode
 * keeps the same ids in a local JSON store under the data dir, so messages look the same on both buses.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';
import avsc from 'avsc';
import { SchemaRegistryClient, type Client } from '@confluentinc/schemaregistry';
import { avroType, schemaText, type SchemaName } from '../avro/index.js';
import { MAGIC, wireSchemaId } from './wire.js';

export interface SchemaStore {
  /** Registers (or finds) `schema` under `subject`; returns its global id. */
  register(subject: string, schema: string): Promise<number>;
  /** The schema text of a global id. */
  schema(id: number): Promise<string>;
}

/** Schemas kept in one JSON file; ids are assigned in registration order, starting at 1. */
export class LocalSchemaStore implements SchemaStore {
  private schemas: string[] = [];
  private subjects: Record<string, number[]> = {};

  constructor(private readonly file: string) {
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { schemas: string[]; subjects: Record<string, number[]> };
      this.schemas = saved.schemas;
      this.subjects = saved.subjects;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  async register(subject: string, schema: string): Promise<number> {
    const canonical = JSON.stringify(JSON.parse(schema));
    let id = this.schemas.indexOf(canonical) + 1;
    const versions = (this.subjects[subject] ??= []);
    if (id > 0 && versions.includes(id)) return id;
    if (id === 0) {
      this.schemas.push(canonical);
      id = this.schemas.length;
    }
    versions.push(id);
    this.save();
    return id;
  }

  async schema(id: number): Promise<string> {
    const s = this.schemas[id - 1];
    if (s === undefined) throw new Error(`schema id ${id} is not in the local schema store ${this.file}`);
    return s;
  }

  private save(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ schemas: this.schemas, subjects: this.subjects }));
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.file);
  }
}

/** A Confluent Schema Registry (or anything implementing its client interface). */
export class RegistrySchemaStore implements SchemaStore {
  private readonly client: Client;

  constructor(client: Client | { url: string }) {
    this.client = 'url' in client ? new SchemaRegistryClient({ baseURLs: [client.url] }) : client;
  }

  register(subject: string, schema: string): Promise<number> {
    return this.client.register(subject, { schemaType: 'AVRO', schema }, false);
  }

  async schema(id: number): Promise<string> {
    return (await this.client.getBySubjectAndId('', id)).schema;
  }
}

export { wireSchemaId };

/**
 * Encodes values of one topic's schema and decodes messages written with any schema id the store
 * knows (older writers are resolved to the current reader schema).
 */
export class AvroSerde<T> {
  private readonly resolvers = new Map<number, avsc.Type | avsc.Resolver>();

  private constructor(
    private readonly store: SchemaStore,
    readonly type: avsc.Type,
    readonly id: number,
  ) {
    this.resolvers.set(id, type);
  }

  /** Registers the schema under the topic's value subject (TopicNameStrategy). */
  static async create<T>(store: SchemaStore, topic: string, name: SchemaName): Promise<AvroSerde<T>> {
    const id = await store.register(`${topic}-value`, schemaText(name));
    return new AvroSerde<T>(store, avroType(name), id);
  }

  encode(value: T): Buffer {
    const body = this.type.toBuffer(value);
    const out = Buffer.allocUnsafe(5 + body.length);
    out[0] = MAGIC;
    out.writeUInt32BE(this.id, 1);
    body.copy(out, 5);
    return out;
  }

  /** Decodes a message whose writer schema is already known (the common, synchronous case). */
  decodeSync(message: Buffer): T {
    const id = wireSchemaId(message);
    const r = this.resolvers.get(id);
    if (!r) throw new Error(`schema id ${id} not loaded; call decode() once`);
    return r === this.type ? (this.type.fromBuffer(message.subarray(5)) as T) : (this.type.fromBuffer(message.subarray(5), r as avsc.Resolver) as T);
  }

  async decode(message: Buffer): Promise<T> {
    const id = wireSchemaId(message);
    if (!this.resolvers.has(id)) {
      const writer = avsc.Type.forSchema(JSON.parse(await this.store.schema(id)) as avsc.Schema);
      this.resolvers.set(id, this.type.createResolver(writer));
    }
    return this.decodeSync(message);
  }
}
