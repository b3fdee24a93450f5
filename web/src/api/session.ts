import { useQuery } from '@tanstack/react-query';
import { api, cookie, unwrap } from './client.js';
import { keys } from './keys.js';
import { useApiMutation } from './mutation.js';

/** The signed-in account, or null when nobody is signed in. */
export function useMe() {
  return useQuery({
    queryKey: keys.me,
    retry: false,
    queryFn: async () => {
      // A session always comes with its readable CSRF cookie: without one nobody is signed in, and asking
      // would only log a 401 in every visitor's console.
      if (!cookie('esimdesk_csrf')) return null;
      const { data, response } = await api.GET('/api/v1/me');
      if (response.status === 401) return null;
      if (!data) throw new Error('could not load the account');
      return data;
    },
  });
}

export type Me = NonNullable<ReturnType<typeof useMe>['data']>;

/**
 * Signs out and reloads the app at the home page: a full reload drops every cached personal detail from
 * memory and leaves no guarded page to race the navigation.
 */
export function useSignOut() {
  return useApiMutation(() => unwrap(api.DELETE('/api/v1/auth/session')), {
    onSettled: () => window.location.replace('/'),
  });
}

export const isStaff = (role: string | undefined) =>
  role === 'agent' || role === 'reviewer' || role === 'admin';

/** A same-site path from `?next=` (never another origin: `//host` and `/\host` are refused). */
export function safeNext(search: string): string | null {
  const next = new URLSearchParams(search).get('next');
  if (!next?.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return null;
  return next;
}

/** Where a fresh sign-in lands: back where the visitor was going, else staff to the console and subscribers home. */
export function landingAfterSignIn(role: string, search: string): string {
  const next = safeNext(search);
  if (isStaff(role)) return next?.startsWith('/staff') ? next : '/staff';
  return next && !next.startsWith('/staff') && !next.startsWith('/sign-in') ? next : '/';
}
