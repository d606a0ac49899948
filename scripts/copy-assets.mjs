// Copies the non-TypeScript files that code and tests load at run time (SQL migrations, Avro schemas,
// device profiles, captured fixtures, C sources) from the source folders into dist/, mirroring paths.
import { cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join, extname } from 'node:path';

const roots = ['cli', 'config', 'decoders', 'ingest', 'workers', 'sinks', 'bus', 'registry', 'api', 'schemas', 'sim', 'scheduler', 'bench'];
const kept = new Set(['.sql', '.avsc', '.json', '.hex', '.txt', '.xml', '.xlsx', '.c', '.csv', '.bin', '.html', '.css']);

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (kept.has(extname(name))) cpSync(path, join('dist', path));
  }
}
for (const root of roots) if (existsSync(root)) walk(root);
