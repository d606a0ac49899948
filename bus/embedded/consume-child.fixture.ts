// Test fixture (not a test): consumes topic "t" as group "crash" slowly, printing each handled batch size.
import { setTimeout as sleep } from 'node:timers/promises';
import { EmbeddedBus } from './index.js';

const bus = new EmbeddedBus({ dir: process.argv[2]!, fsync: 'always' });
const consumer = await bus.consumer({ groupId: 'crash', topics: ['t'], maxBatchMessages: 10 });
await consumer.run(async (b) => {
  await sleep(20);
  process.stdout.write(`${b.messages.length}\n`);
});
