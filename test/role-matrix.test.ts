import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import type { Role } from '../src/http/access.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { api, type Session, signIn, signInStaff } from './helpers/session.js';

const CALLERS = ['anonymous', 'subscriber', 'agent', 'reviewer', 'admin'] as const;
type Caller = (typeof CALLERS)[number];

const isPluginRoute = (url: string) => url === '/*' || url === '/' || url.startsWith('/api/docs');

describeEachDialect('role matrix', (dialect) => {
  let t: TestApp;
  const sessions = new Map<Caller, Session>();
  beforeAll(async () => {
    t = await startTestApp(dialect);
    sessions.set('subscriber', await signIn(t, 'matrix-sub@example.com'));
    for (const role of ['agent', 'reviewer', 'admin'] as const) {
      sessions.set(role, await signInStaff(t, `matrix-${role}@operator.example.com`, role));
    }
  });
  afterAll(() => t.close());

  it('every route declares who may call it, and the guard enforces it for every role', async () => {
    const routes = t.app.routeTable
      .filter((r) => r.method !== 'HEAD' && !isPluginRoute(r.url))
      // Signing out ends the caller's session, so it goes last.
      .sort((a, b) => Number(a.url === '/api/v1/auth/session') - Number(b.url === '/api/v1/auth/session'));
    expect(routes.length).toBeGreaterThan(8);
    const failures: string[] = [];
    for (const route of routes) {
      const path = route.url.replace(/:(\w+)/g, 'zzz_01JAAAAAAAAAAAAAAAAAAAAAAA');
      for (const caller of CALLERS) {
        const session = sessions.get(caller);
        const allowed =
          route.access === 'public' ||
          (Array.isArray(route.access) && caller !== 'anonymous' && route.access.includes(caller as Role));
        const res = await api(t, route.method, path, {
          headers: session?.headers ?? {},
          body: ['POST', 'PUT', 'PATCH'].includes(route.method) ? {} : undefined,
        });
        const denied = res.status === 401 || res.status === 403;
        const expectedDenial = caller === 'anonymous' || route.access === 'service' ? 401 : 403;
        if (allowed && denied)
          failures.push(`${route.method} ${route.url} as ${caller}: ${res.status} but allowed`);
        if (!allowed && res.status !== expectedDenial) {
          failures.push(
            `${route.method} ${route.url} as ${caller}: ${res.status}, expected ${expectedDenial}`,
          );
        }
        if (res.status >= 500) failures.push(`${route.method} ${route.url} as ${caller}: ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('refuses to build an app with a route that declares no access', async () => {
    await expect(
      buildApp(t.ctx, {
        register: (app) => {
          app.get('/api/v1/undeclared', async () => ({}));
        },
      }),
    ).rejects.toThrow(/declares no config.access/);
  });
});
