/**
 * The staff console's query keys, as `keys` in api/keys.ts is for the subscriber's pages. Pages take
 * them from here, never spell them. Some are siblings rather than parent and child on purpose: a
 * ticket's thread is not under the queue, so refreshing the queue after a reply does not fetch again
 * the thread the reply already returned.
 */
export const staffKeys = {
  serviceLevels: ['service-levels'] as const,
  policies: ['policies'] as const,
  members: ['members'] as const,
  jobs: { all: ['jobs'] as const, view: (status: string) => ['jobs', status] as const },
  audit: (filter: { action?: string; actor?: string; account?: string }) => ['audit', filter] as const,
  customers: { search: (q: string) => ['customer-search', q] as const },
  customer: (id: string) => ['customer', id] as const,
  heldUsage: { all: ['usage-holds'] as const, view: (status: string) => ['usage-holds', status] as const },
  cancellations: { queue: ['review-queue'] as const, decided: ['review-decided'] as const },
  tickets: {
    all: ['staff-tickets'] as const,
    view: (view: string) => ['staff-tickets', view] as const,
    one: (id: string) => ['staff-ticket', id] as const,
  },
};
