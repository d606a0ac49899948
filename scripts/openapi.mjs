// Writes the API's own OpenAPI document (built from dist/) to dist/openapi.json: the console's client types
// are generated from it (openapi-typescript), so they follow the routes instead of being written by hand.
// The document does not depend on the registry, so a registry that refuses every query serves.
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import { buildApp } from '../dist/api/app.js';
import { SecretBox } from '../dist/registry/crypto.js';

const db = { engine: 'pglite', query: () => Promise.reject(new Error('no registry while writing the OpenAPI document')) };
const app = await buildApp({
  db, box: new SecretBox(Buffer.alloc(32)),
  config: { accessTokenTtl: 900, refreshTokenTtl: 3600, loginMaxFailures: 5, loginLockSeconds: 60, logLevel: 'silent' },
});
await app.ready();
writeFileSync('dist/openapi.json', JSON.stringify(app.swagger(), null, 1));
await app.close();
