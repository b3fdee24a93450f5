import type { ColumnType } from 'kysely';
import type { Channel } from './notifications.js';

/** Tables the identity module owns: accounts, sign-in challenges and failures, sessions. */

export type AccountRole = 'subscriber' | 'agent' | 'reviewer' | 'admin';
export type AccountStatus = 'active' | 'suspended' | 'cancellation_pending' | 'deregistered';

export interface AccountsTable {
  id: string;
  email: string | null;
  phone: string | null;
  role: AccountRole;
  status: AccountStatus;
  locale: string;
  disabled_at: string | null;
  /** Retention: personal data erased at this time (email, phone and free text blanked). */
  erased_at: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: string;
  updated_at: string;
}

export interface OtpChallengesTable {
  id: string;
  channel: Channel;
  target: string;
  code_hash: string;
  attempts: ColumnType<number, number | undefined, number>;
  ip: string;
  expires_at: string;
  consumed_at: string | null;
  created_at: string;
}

/** A wrong one-time code, for the 24-hour ceilings; the address only as a keyed hash (migration 0015). */
export interface SignInFailuresTable {
  id: string;
  target_key: string;
  /** The address that asked for the challenge's code. */
  ip: string;
  created_at: string;
}

export interface SessionsTable {
  id: string;
  account_id: string;
  token_hash: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  revoked_at: string | null;
  user_agent: string | null;
}
