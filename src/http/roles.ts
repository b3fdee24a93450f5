import type { Role } from './access.js';

export const SUBSCRIBER: readonly Role[] = ['subscriber'];
export const STAFF: readonly Role[] = ['agent', 'reviewer', 'admin'];
export const REVIEWERS: readonly Role[] = ['reviewer', 'admin'];
export const ADMIN: readonly Role[] = ['admin'];
export const ANY_ACCOUNT: readonly Role[] = ['subscriber', 'agent', 'reviewer', 'admin'];
