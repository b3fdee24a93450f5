import { useQuery } from '@tanstack/react-query';
import type { Money } from '../format.js';
import { api, unwrap } from './client.js';
import { keys } from './keys.js';
import { type Me, useMe } from './session.js';

/** A signed-in subscriber (not staff), or null. */
export function useSubscriber(): Me | null {
  const me = useMe();
  return me.data && me.data.role === 'subscriber' ? me.data : null;
}

/**
 * The latest cancellation request, or null when there is none (404). Just submitted, it moves to
 * review once the background checks have run (a moment later): asked again every 2 s until then.
 */
export function useCancellation(enabled: boolean) {
  return useQuery({
    queryKey: keys.cancellation.current,
    enabled,
    retry: false,
    refetchInterval: (query) => (query.state.data?.status === 'submitted' ? 2000 : false),
    queryFn: async () => {
      const { data, response } = await api.GET('/api/v1/me/cancellation');
      return response.status === 404 ? null : (data ?? null);
    },
  });
}

export function useBalance(enabled = true) {
  return useQuery({
    queryKey: keys.balance,
    enabled,
    queryFn: () => unwrap(api.GET('/api/v1/me/balance')) as Promise<Money>,
  });
}

export function useLines(enabled = true) {
  return useQuery({ queryKey: keys.lines.all, enabled, queryFn: () => unwrap(api.GET('/api/v1/me/lines')) });
}

export function useTickets(enabled = true) {
  return useQuery({
    queryKey: keys.tickets.all,
    enabled,
    queryFn: () => unwrap(api.GET('/api/v1/me/tickets')),
  });
}

export type Line = NonNullable<ReturnType<typeof useLines>['data']>['items'][number];

/** Whole days left until `iso` (0 once passed), or null without an end date. */
export function daysLeft(iso: string | null, now = Date.now()): number | null {
  if (!iso) return null;
  return Math.max(0, Math.ceil((new Date(iso).getTime() - now) / 86_400_000));
}

/** A line still waiting for its eSIM to be installed, with a profile ready to install. */
export const waitingForInstall = (l: Line) =>
  l.status === 'pending' && l.esims.some((e) => e.state === 'released' && e.activationCode);

export type NextStep =
  | { kind: 'cancellationInfo'; to: string }
  | { kind: 'install'; to: string; line: Line }
  | { kind: 'supportAnswer'; to: string }
  | { kind: 'lowData'; to: string; line: Line }
  | { kind: 'buyPlan'; to: string };

/** The one thing a subscriber should do next, most urgent first. */
export function nextStep(input: {
  cancellationStatus: string | null;
  lines: Line[];
  tickets: { id: string; status: string }[];
}): NextStep | null {
  if (input.cancellationStatus === 'info_requested') {
    return { kind: 'cancellationInfo', to: '/account/close' };
  }
  const install = input.lines.find(waitingForInstall);
  if (install) return { kind: 'install', to: `/lines/${install.id}`, line: install };
  const answered = input.tickets.find((t) => t.status === 'waiting_on_customer');
  if (answered) return { kind: 'supportAnswer', to: `/help/${answered.id}` };
  const live = input.lines.filter((l) => l.status === 'active' || l.status === 'pending');
  if (live.length === 0) return { kind: 'buyPlan', to: '/plans' };
  const low = live.find((l) => {
    const { dataBytes, total } = l.allowances;
    return (
      l.status === 'active' && total.dataBytes > 0 && (dataBytes ?? total.dataBytes) / total.dataBytes < 0.1
    );
  });
  if (low) return { kind: 'lowData', to: `/lines/${low.id}`, line: low };
  return null;
}
