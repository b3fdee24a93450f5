import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { STATUS_CODES } from 'node:http';
import path from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AppContext } from './context.js';
import { AppError } from './core/errors.js';
import { DEFAULT_LOCALE, localeFromAcceptLanguage } from './core/i18n.js';
import { DEFAULT_WEB_DIR } from './core/paths.js';
import './http/access.js';
import { Money } from './core/money.js';
import type { Access } from './http/access.js';
import { sendError } from './http/errors.js';
import { lazySerializerFactory } from './http/lazy-serializers.js';
import { registerRateLimit } from './http/rate-limit.js';
import { ErrorResponse } from './http/schemas.js';
import { apiSecurityHeaders, securityHeaders } from './http/security-headers.js';
import { validatorCompiler } from './http/validation.js';
import { es2plusRoutes } from './integrations/smdp/es2plus.routes.js';
import { auditRoutes } from './modules/audit/audit.routes.js';
import { backofficeRoutes } from './modules/backoffice/backoffice.routes.js';
import { cancellationRequestRoutes, cancellationRoutes } from './modules/cancellation/cancellation.routes.js';
import { catalogRoutes, Plan } from './modules/catalog/catalog.routes.js';
import { exportsRoutes } from './modules/exports/exports.routes.js';
import { registerGuard } from './modules/identity/identity.guard.js';
import { Account, identityRoutes } from './modules/identity/identity.routes.js';
import { lineExtrasRoutes } from './modules/lines/extras.routes.js';
import { linesRoutes } from './modules/lines/lines.routes.js';
import { suspensionRoutes } from './modules/lines/suspension.routes.js';
import { devMailboxRoutes } from './modules/notifications/dev-mailbox.routes.js';
import { opsRoutes } from './modules/ops/ops.routes.js';
import { supportRoutes } from './modules/support/support.routes.js';
import { usageRoutes } from './modules/usage/usage.routes.js';
import { walletRoutes } from './modules/wallet/wallet.routes.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const BODY_LIMIT = 1024 * 1024;

export interface BuildAppOptions {
  /** Extra routes for tests (e.g. one that throws). */
  register?: (app: FastifyInstance) => Promise<void> | void;
}

/** Builds the HTTP app from the modules. Does not listen and does not start the runner. */
/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers too large, a broken request
 * line, a client too slow) still get the API's error shape.
 */
function answerClientError(error: Error & { code?: string }, socket: import('node:stream').Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', 'The request headers (or the URL) are too large.']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'The request took too long to arrive.']
        : [400, 'MALFORMED_REQUEST', 'The request could not be read.'];
  const body = JSON.stringify({ code, message, details: {} });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

export async function buildApp(ctx: AppContext, options: BuildAppOptions = {}) {
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    // Only the configured proxies may say who the client is (rate limits and sign-in limits key on it).
    trustProxy: ctx.config.trustProxy.length > 0 ? ctx.config.trustProxy : false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    ajv: { customOptions: { coerceTypes: false } },
    schemaController: { compilersFactory: { buildSerializer: lazySerializerFactory() } },
    clientErrorHandler: answerClientError,
    // A path the router cannot take apart (bad percent-encoding, an id longer than any of ours) is
    // answered before routing, so before the hooks: it gets their headers and the error shape here.
    frameworkErrors: (error, request, reply) => {
      reply.headers(apiSecurity);
      reply.header('X-Request-Id', request.id);
      request.locale = localeFromAcceptLanguage(request.headers['accept-language']);
      const answer =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? new AppError('NOT_FOUND')
          : new AppError('MALFORMED_REQUEST');
      sendError(answer, request, reply);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  const routeTable: RouteInfo[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => {
    const access = route.config?.access ?? pluginRouteAccess(route.url);
    if (access === undefined) throw new Error(`route ${route.method} ${route.url} declares no config.access`);
    route.config = { ...route.config, access };
    for (const method of [route.method].flat()) {
      routeTable.push({ method, url: route.url, access, hidden: route.schema?.hide === true });
    }
  });
  // Shared schemas live on the root so no plugin gets its own schema controller (and validator).
  app.addSchema(ErrorResponse);
  app.addSchema(Account);
  app.addSchema(Money);
  app.addSchema(Plan);
  app.decorateRequest('locale', DEFAULT_LOCALE);

  const security = securityHeaders({
    contentSecurityPolicy: {
      directives: {
        // Mantine writes its CSS variables into style tags at run time; QR codes arrive as data: images.
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        'script-src': ["'self'"],
        // Demo mode serves plain http on localhost; asking browsers to upgrade would break it.
        'upgrade-insecure-requests': ctx.config.mode === 'production' ? [] : null,
      },
    },
    hsts: ctx.config.mode === 'production',
  });
  const apiSecurity = apiSecurityHeaders(security);
  app.addHook('onRequest', async (request, reply) => {
    // Documents (the web app, the API explorer) get the page headers; every other answer is data.
    const route = request.routeOptions.url;
    const page = route?.startsWith('/api/docs') || (route === '/*' && !request.url.startsWith('/api/'));
    reply.headers(page ? security : apiSecurity);
    reply.header('X-Request-Id', request.id);
    request.locale = localeFromAcceptLanguage(request.headers['accept-language']);
  });
  app.addHook('onResponse', async (request, reply) => {
    ctx.metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));

  await app.register(fastifyCookie);
  registerRateLimit(app, { max: ctx.config.rateLimitPerMinute, windowMs: 60_000 });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: `${ctx.config.brandName} API`,
        version: '1',
        description: 'The esimdesk HTTP API: subscribers, staff, mediation and operator systems.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          cookie: { type: 'apiKey', in: 'cookie', name: 'esimdesk_session' },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs', staticCSP: true });

  registerGuard(app, {
    identity: ctx.identity,
    service: async (request) => {
      const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
      return match ? ctx.usage.verifyServiceKey(match[1]!) : false;
    },
  });
  await app.register(opsRoutes(ctx));
  await app.register(identityRoutes(ctx));
  await app.register(auditRoutes(ctx));
  await app.register(walletRoutes(ctx));
  await app.register(catalogRoutes(ctx));
  await app.register(linesRoutes(ctx));
  await app.register(lineExtrasRoutes(ctx));
  await app.register(usageRoutes(ctx));
  await app.register(exportsRoutes(ctx));
  await app.register(cancellationRoutes(ctx));
  await app.register(cancellationRequestRoutes(ctx));
  await app.register(suspensionRoutes(ctx));
  await app.register(supportRoutes(ctx));
  await app.register(backofficeRoutes(ctx));
  if (ctx.smdpEmulator) await app.register(ctx.smdpEmulator.routes);
  // The SM-DP+'s notifications: only on the ES2+ listener, except in demo mode (anyone may play the SM-DP+).
  if (ctx.config.mode === 'demo')
    await app.register(es2plusRoutes(ctx, () => ({ id: 'demo mode, public listener' })));
  if (ctx.config.demoParts.has('dev-mailbox')) await app.register(devMailboxRoutes(ctx));
  if (options.register) await options.register(app);

  await registerWeb(app, ctx);
  app.setNotFoundHandler((request, reply) => {
    if (request.method === 'GET' && wantsPage(request.url, request.headers.accept) && webIndex(ctx)) {
      return reply.type('text/html').sendFile('index.html');
    }
    return sendError(
      new AppError('NOT_FOUND', { method: request.method, path: request.url.split('?')[0] }),
      request,
      reply,
    );
  });

  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;

export interface RouteInfo {
  method: string;
  url: string;
  access: Access;
  hidden: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with its declared access (the role-matrix test walks it). */
    routeTable: RouteInfo[];
  }
}

/** Routes added by plugins (API reference pages, static web files) are public by nature. */
function pluginRouteAccess(url: string): Access | undefined {
  if (url === '/api/docs' || url.startsWith('/api/docs/')) return 'public';
  if (url === '/*' || url === '/') return 'public';
  return undefined;
}

function webDir(ctx: AppContext): string {
  return ctx.config.webDir ?? DEFAULT_WEB_DIR;
}

function webIndex(ctx: AppContext): boolean {
  return fs.existsSync(path.join(webDir(ctx), 'index.html'));
}

const API_PREFIXES = ['/api/', '/emulator/', '/gsma/', '/healthz', '/readyz', '/metrics'];

function wantsPage(url: string, accept: string | undefined): boolean {
  return !API_PREFIXES.some((p) => url.startsWith(p)) && (accept ?? '').includes('text/html');
}

async function registerWeb(app: App, ctx: AppContext): Promise<void> {
  const root = webDir(ctx);
  if (!webIndex(ctx)) {
    ctx.logger.warn({ root }, 'web app not built (run npm run build:web); serving the API only');
    return;
  }
  // The web app manifest from the brand settings (installable under the operator's name and colour).
  app.get(
    '/manifest.webmanifest',
    { config: { access: 'public' }, schema: { hide: true } },
    async (_request, reply) => {
      const { brandName, brandColor, brandLogoUrl } = ctx.config;
      const icon = brandLogoUrl.endsWith('.svg')
        ? { src: brandLogoUrl, sizes: 'any', type: 'image/svg+xml', purpose: 'any' }
        : { src: brandLogoUrl, sizes: '512x512', purpose: 'any' };
      return reply
        .type('application/manifest+json')
        .header('cache-control', 'no-cache')
        .send({
          name: brandName,
          short_name: brandName.slice(0, 12),
          start_url: '/',
          scope: '/',
          display: 'standalone',
          theme_color: brandColor,
          background_color: '#ffffff',
          icons: [icon],
        });
    },
  );
  await app.register(fastifyStatic, {
    root,
    wildcard: true,
    index: ['index.html'],
    // The build writes file.br and file.gz beside each file (web/vite.config.ts): sent as they are, with
    // Content-Encoding and Vary: Accept-Encoding, to clients that accept them.
    preCompressed: true,
    // Cache-Control is set below only (left to @fastify/static, a precompressed file got max-age=0).
    cacheControl: false,
    // Hashed assets never change; index.html must always be revalidated.
    setHeaders: (res, file) => {
      // A cache must keep the brotli, gzip and plain answers apart (@fastify/static does not say so itself).
      res.setHeader('Vary', 'Accept-Encoding');
      res.setHeader(
        'Cache-Control',
        file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
}
