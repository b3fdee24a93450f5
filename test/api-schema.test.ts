import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildOpenApiTypes } from '../scripts/openapi-types.js';

describe('typed web API client', () => {
  it('is generated from the current OpenAPI document (run npm run gen:api if this fails)', async () => {
    const committed = fs.readFileSync(new URL('../web/src/api/schema.d.ts', import.meta.url), 'utf8');
    expect(committed === (await buildOpenApiTypes())).toBe(true);
  });
});
