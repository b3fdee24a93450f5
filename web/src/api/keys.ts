/**
 * Query keys, one factory per feature. A key is a prefix of the keys below it, so invalidating
 * `keys.tickets.all` refreshes the list and every open thread. Pages take keys from here, never
 * spell them, so a mutation and the queries it makes stale cannot drift apart. Catalogue keys end
 * with the language: plan and add-on names come back in it.
 */
export const keys = {
  meta: ['meta'] as const,
  me: ['me'] as const,
  balance: ['balance'] as const,
  wallet: {
    statement: ['statement'] as const,
    refundable: ['refundable'] as const,
    topup: (id: string) => ['topup', id] as const,
  },
  plans: {
    all: ['plans'] as const,
    list: (language: string) => ['plans', 'list', language] as const,
    one: (id: string, language: string) => ['plans', id, language] as const,
  },
  addons: (language: string) => ['addons', language] as const,
  lines: {
    all: ['lines'] as const,
    one: (id: string) => ['lines', id] as const,
  },
  // Beside the line, not under it: refreshing a line does not ask again for its networks or a quote.
  networks: (lineId: string, country: string | null) => ['networks', lineId, country] as const,
  planChange: (lineId: string, planId: string | null) => ['plan-change', lineId, planId] as const,
  usage: (kind: string) => ['usage', kind] as const,
  devices: { all: ['devices'] as const },
  tickets: { all: ['tickets'] as const, one: (id: string) => ['tickets', id] as const },
  cancellation: {
    current: ['cancellation'] as const,
    eligibility: ['eligibility'] as const,
    forfeitable: ['forfeitable'] as const,
  },
  exports: { all: ['exports'] as const, one: (id: string) => ['exports', id] as const },
  devMessages: (to: string) => ['dev-messages', to] as const,
};
