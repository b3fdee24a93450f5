// Writes web/src/api/schema.d.ts from the server's OpenAPI document, so web and server cannot drift.
// usage: npm run gen:api        (a test fails when the committed file is out of date)
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildOpenApiTypes } from './openapi-types.js';

const target = fileURLToPath(new URL('../web/src/api/schema.d.ts', import.meta.url));
fs.writeFileSync(target, await buildOpenApiTypes());
console.log(`wrote ${target}`);
