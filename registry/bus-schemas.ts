/**
 * The bus's Avro schema ids in the registry (bus_schemas), for Kafka without a Confluent Schema Registry:
 * a frame published by one process is decoded by another, so every process must give a schema the same
 * id. A schema is kept in canonical form (parsed and printed again), as the file store does.
 */
import type { SchemaStore } from '../schemas/registry/index.js';
import type { Db } from './db.js';

export class RegistryBusSchemas implements SchemaStore {
  readonly #texts = new Map<number, string>();

  constructor(private readonly db: Db) {}

  async register(subject: string, schema: string): Promise<number> {
    const canonical = JSON.stringify(JSON.parse(schema));
    // Two processes registering the same schema at once both end with its one row.
    await this.db.query('INSERT INTO bus_schemas (canonical) VALUES ($1) ON CONFLICT (canonical) DO NOTHING', [canonical]);
    const r = await this.db.query<{ id: number }>('SELECT id FROM bus_schemas WHERE canonical = $1', [canonical]);
    const id = r.rows[0]!.id;
    await this.db.query('INSERT INTO bus_schema_subjects (subject, schema_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [subject, id]);
    this.#texts.set(id, canonical);
    return id;
  }

  async schema(id: number): Promise<string> {
    const known = this.#texts.get(id);
    if (known) return known;
    const r = await this.db.query<{ canonical: string }>('SELECT canonical FROM bus_schemas WHERE id = $1', [id]);
    const text = r.rows[0]?.canonical;
    if (text === undefined) throw new Error(`schema id ${id} is not in the registry's bus schemas`);
    this.#texts.set(id, text);
    return text;
  }
}
