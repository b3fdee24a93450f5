import createClient from 'openapi-fetch';
import type { paths } from './schema.js';

/** The typed API client; its types are generated from the server's OpenAPI document (npm run gen:api). */
export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });

export interface ApiError {
  code: string;
  message: string;
  details: Record<string, unknown>;
}
