import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockClient } from '@confluentinc/schemaregistry';
import { AvroSerde, LocalSchemaStore, RegistrySchemaStore, wireSchemaId, type SchemaStore } from './index.js';
import { Topics, type Reading } from '../avro/index.js';

const reading: Reading = {
  deviceId: 42, archive: 'profile-15min', obis: '1.0.1.8.0.255', readingType: '0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0', tariff: 0,
  timestamp: 1_700_000_000_000, value: 1234.5, unit: 'kWh', quality: 3, deviceStatus: 0, deviceTzMinutes: 60,
  serverTime: 1_700_000_100_000, serverTz: 'UTC', source: 'POLL', collectedAt: 1_700_000_100_000, serial: 'LGZ000000042', projectId: 'utility-a', scaler: -1,
};

async function roundTrip(store: SchemaStore): Promise<void> {
  const serde = await AvroSerde.create<Reading>(store, Topics.readings, 'reading');
  const bytes = serde.encode(reading);
  assert.equal(bytes[0], 0, 'magic byte');
  assert.equal(wireSchemaId(bytes), serde.id);
  assert.deepEqual({ ...(await serde.decode(bytes)) }, reading);
  assert.equal((await AvroSerde.create<Reading>(store, Topics.readings, 'reading')).id, serde.id, 'registering again returns the same id');
}

test('Confluent wire format through the local schema store, persisted across reopen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-schemas-'));
  try {
    const file = join(dir, 'schemas.json');
    await roundTrip(new LocalSchemaStore(file));
    const reopened = new LocalSchemaStore(file);
    const serde = await AvroSerde.create<Reading>(reopened, Topics.readings, 'reading');
    assert.equal(serde.id, 1);
    assert.throws(() => wireSchemaId(Buffer.from('{"json":1}')), /Confluent wire format/);
    await assert.rejects(reopened.schema(99), /not in the local schema store/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Confluent wire format through a Schema Registry client (@confluentinc/schemaregistry)', async () => {
  await roundTrip(new RegistrySchemaStore(new MockClient()));
});
