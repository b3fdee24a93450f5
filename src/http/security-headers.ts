import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * Helmet's security headers, worked out once at start-up. Helmet rebuilds every header (the CSP
 * string included) on every request although nothing in them depends on the request; here they are
 * the same object for every answer. Helmet removes X-Powered-By, which Fastify never sends.
 */
export function securityHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name] = String(value);
      return recorder;
    },
    removeHeader(name: string) {
      delete headers[name];
    },
  };
  let failure: unknown;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    failure = error;
  });
  if (failure) throw failure;
  return headers;
}

/**
 * The headers for a JSON answer, after the OWASP REST Security Cheat Sheet: nothing in it may be
 * cached (balances, tokens, personal data), framed, sniffed as another type, or load anything. The
 * page headers (CSP for the web app, cross-origin isolation) concern documents, not API answers.
 */
export function apiSecurityHeaders(pageHeaders: Record<string, string>): Record<string, string> {
  const hsts = pageHeaders['Strict-Transport-Security'];
  return {
    'Cache-Control': 'no-store',
    'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    ...(hsts ? { 'Strict-Transport-Security': hsts } : {}),
  };
}
