/**
 * Query keys, one factory per feature. A key is a prefix of the keys below it, so invalidating
 * `keys.tickets.all` refreshes the list and every open thread. Pages take keys from here, never
 * spell them, so a mutation and the queries it makes stale cannot drift apart.
 */
export const keys = {
  meta: ['meta'] as const,
  me: ['me'] as const,
  balance: ['balance'] as const,
  lines: { all: ['lines'] as const },
  devices: { all: ['devices'] as const },
  tickets: { all: ['tickets'] as const, one: (id: string) => ['tickets', id] as const },
  cancellation: { current: ['cancellation'] as const, eligibility: ['eligibility'] as const },
  exports: { all: ['exports'] as const, one: (id: string) => ['exports', id] as const },
};
