import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { BlockList, isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Es2Config } from '../../config.js';
import type { AppContext } from '../../context.js';
import { validatorCompiler } from '../../http/validation.js';
import { type Es2Authenticator, type Es2Peer, es2plusRoutes } from './es2plus.routes.js';

/** ES2+ bodies are small JSON documents; resultData (base64) is the largest part. */
const BODY_LIMIT = 256 * 1024;

export interface Es2Listeners {
  /** The ES2+ listener the SM-DP+ calls (ES2_PORT), when configured. */
  url: string | null;
  /** The loopback-only listener the built-in emulator notifies in production, when it is allowed. */
  loopbackUrl: string | null;
  close(): Promise<void>;
}

/** IPv4 peers arrive as ::ffff:a.b.c.d on a dual-stack socket. */
function peerAddress(request: FastifyRequest): string {
  const raw = request.socket.remoteAddress ?? '';
  return raw.startsWith('::ffff:') && isIP(raw.slice(7)) === 4 ? raw.slice(7) : raw;
}

function blockListOf(entries: string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split('/') as [string, string | undefined];
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return list;
}

/** A certificate fingerprint in any usual spelling (AB:CD…, abcd…, sha256:…), for comparison. */
function fingerprintForm(value: string): string | null {
  const hex = value
    .trim()
    .replace(/^sha(1|256)[:=]/i, '')
    .replaceAll(':', '')
    .toLowerCase();
  return /^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(hex) ? hex : null;
}

/** Whether the identity a proxy names is on the allow-list: a subject exactly, a fingerprint in any spelling. */
export function allowedIdentity(allow: string[], value: string): string | null {
  const trimmed = value.trim();
  const fingerprint = fingerprintForm(trimmed);
  return (
    allow.find(
      (entry) => entry === trimmed || (fingerprint !== null && fingerprintForm(entry) === fingerprint),
    ) ?? null
  );
}

/**
 * The SM-DP+'s identity on the ES2+ listener. A configured proxy peer must name an allowed
 * certificate in the configured header; from any other peer the header is ignored and only a
 * client certificate verified against ES2_TLS_CLIENT_CA counts.
 */
export function es2Authenticator(es2: Es2Config): Es2Authenticator {
  const proxy = es2.trustedProxy;
  const proxies = proxy ? blockListOf(proxy.peers) : null;
  return (request): Es2Peer | null => {
    const address = peerAddress(request);
    if (proxy && proxies && isIP(address) && proxies.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4')) {
      const value = request.headers[proxy.header];
      if (typeof value !== 'string') return null;
      const match = allowedIdentity(proxy.allow, value);
      return match ? { id: `proxy ${address}: ${match}` } : null;
    }
    const socket = request.socket as TLSSocket;
    if (!socket.encrypted || !socket.authorized) return null;
    const certificate = socket.getPeerX509Certificate?.();
    if (!certificate) return null;
    return {
      id: `certificate ${certificate.subject.replaceAll('\n', ', ')} (sha256 ${certificate.fingerprint256})`,
    };
  };
}

const loopbackOnly: Es2Authenticator = (request) => {
  const address = peerAddress(request);
  return address === '127.0.0.1' || address === '::1' ? { id: 'built-in SM-DP+ emulator (loopback)' } : null;
};

function buildEs2App(
  ctx: AppContext,
  authenticate: Es2Authenticator,
  tls: { cert: string; key: string; ca: string } | null,
): FastifyInstance {
  const app = Fastify({
    loggerInstance: ctx.logger.child({ component: 'es2-listener' }) as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    ajv: { customOptions: { coerceTypes: false } },
    serverFactory: (handler) => {
      if (!tls) return createHttpServer(handler);
      // Mutual TLS: no client certificate from the SM-DP+'s CA, no handshake.
      const server = createHttpsServer(
        { ...tls, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' },
        handler,
      );
      server.on('tlsClientError', (error, socket) => {
        ctx.logger.info(
          { peer: socket.remoteAddress, reason: error.message },
          'ES2+ listener: TLS handshake refused',
        );
      });
      return server as unknown as ReturnType<typeof createHttpServer>;
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.register(es2plusRoutes(ctx, authenticate));
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      code: 'NOT_FOUND',
      message: 'Not found.',
      details: { method: request.method, path: request.url.split('?')[0] },
    }),
  );
  return app;
}

async function listen(app: FastifyInstance, port: number, host: string, scheme: string): Promise<string> {
  await app.listen({ port, host });
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `${scheme}://${shown}:${bound}`;
}

/** A certificate's SHA-256 fingerprint, for the start-up log. */
function fingerprintOf(pem: string): string {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    return createHash('sha256').update(pem).digest('hex');
  }
}

/**
 * Starts the ES2+ listener (ES2_PORT: mutual TLS, or plain behind a proxy that terminates it) and,
 * when production runs the built-in SM-DP+ emulator, a loopback-only listener for its notifications
 * (the public listener never serves them in production).
 */
export async function startEs2Listeners(ctx: AppContext): Promise<Es2Listeners> {
  const { config, logger } = ctx;
  const apps: FastifyInstance[] = [];
  let url: string | null = null;
  let loopbackUrl: string | null = null;
  try {
    const listener = config.es2.listener;
    if (listener) {
      const tls = listener.tls && {
        cert: readFileSync(listener.tls.certFile, 'utf8'),
        key: readFileSync(listener.tls.keyFile, 'utf8'),
        ca: readFileSync(listener.tls.clientCaFile, 'utf8'),
      };
      const app = buildEs2App(ctx, es2Authenticator(config.es2), tls);
      apps.push(app);
      url = await listen(app, listener.port, config.host, tls ? 'https' : 'http');
      logger.info(
        {
          url,
          mutualTls: tls ? { clientCa: fingerprintOf(tls.ca) } : null,
          trustedProxy: config.es2.trustedProxy
            ? { header: config.es2.trustedProxy.header, peers: config.es2.trustedProxy.peers }
            : null,
          callerId: config.smdp.callerId,
        },
        'ES2+ listener ready for the SM-DP+',
      );
    }
    if (ctx.smdpEmulator && config.mode === 'production') {
      const app = buildEs2App(ctx, loopbackOnly, null);
      apps.push(app);
      loopbackUrl = await listen(app, 0, '127.0.0.1', 'http');
      ctx.self.es2Loopback = loopbackUrl;
      logger.warn(
        { url: loopbackUrl },
        'PRODUCTION WITH THE SM-DP+ EMULATOR: profiles are not real; its download notifications arrive on a loopback-only listener, unauthenticated beyond the loopback address',
      );
    }
  } catch (error) {
    await Promise.all(apps.map((app) => app.close()));
    throw error;
  }
  return {
    url,
    loopbackUrl,
    close: async () => {
      if (ctx.self.es2Loopback === loopbackUrl) ctx.self.es2Loopback = null;
      await Promise.all(apps.map((app) => app.close()));
    },
  };
}
