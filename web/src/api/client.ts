import createClient, { type Middleware } from 'openapi-fetch';
import { i18next } from '../i18n.js';
import type { paths } from './schema.js';

export interface ApiError {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

export function cookie(name: string): string | null {
  const match = document.cookie.split('; ').find((c) => c.startsWith(`${name}=`));
  return match ? decodeURIComponent(match.slice(name.length + 1)) : null;
}

/** Every request speaks the page's language; writes echo the CSRF cookie the session set. */
const headers: Middleware = {
  onRequest({ request }) {
    request.headers.set('Accept-Language', i18next.language);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const csrf = cookie('esimdesk_csrf');
      if (csrf) request.headers.set('X-CSRF-Token', csrf);
    }
    return request;
  },
};

/** The typed API client; its types are generated from the server's OpenAPI document (npm run gen:api). */
export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
api.use(headers);

/** Turns an openapi-fetch answer into data or a thrown ApiError. */
export async function unwrap<T>(
  promise: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await promise;
  if (error !== undefined || !response.ok) {
    const body = (error ?? {}) as Partial<ApiError>;
    throw Object.assign(new Error(body.message ?? response.statusText), {
      code: body.code ?? 'INTERNAL',
      details: body.details ?? {},
      status: response.status,
    });
  }
  return data as T;
}

export function isApiError(error: unknown): error is Error & ApiError & { status: number } {
  return error instanceof Error && 'code' in error;
}
