import type { Db } from '../../db/database.js';
import { normalizeEmail, normalizePhone } from '../identity/normalize.js';
import type { PolicyService } from '../policies/policies.service.js';
import {
  accountIdsWithEid,
  accountIdsWithEmail,
  accountIdsWithIccid,
  accountIdsWithMsisdn,
  accountIdsWithPhone,
  subscribersByIds,
} from './stores/customers.store.js';

/** What a search term looks like, so one box finds a customer by anything an agent is told. */
export function classifyTerm(raw: string): {
  kind: 'id' | 'email' | 'eid' | 'iccid' | 'phone';
  value: string;
} {
  const term = raw.trim();
  if (/^acc_[0-9A-Z]{26}$/i.test(term)) return { kind: 'id', value: term };
  if (term.includes('@')) return { kind: 'email', value: term };
  const digits = term.replace(/[\s-]/g, '');
  if (/^89\d{30}$/.test(digits)) return { kind: 'eid', value: digits };
  if (/^89\d{16,18}F?$/i.test(digits)) return { kind: 'iccid', value: digits.toUpperCase() };
  return { kind: 'phone', value: term };
}

/** Finding a customer by email, phone, MSISDN, ICCID, EID or id. */
export function createCustomerSearch(deps: {
  policies: Pick<PolicyService, 'get'>;
  reading: <T>(fn: (db: Db) => Promise<T>) => Promise<T>;
}) {
  /** A staff search: on a read replica when there is one (a customer created a moment ago may lag). */
  const search = (raw: string) => deps.reading((replica) => searchOn(replica, raw));

  async function searchOn(db: Db, raw: string) {
    const { kind, value } = classifyTerm(raw);
    let ids: string[] = [];
    if (kind === 'id') ids = [value];
    if (kind === 'email') {
      let email: string;
      try {
        email = normalizeEmail(value);
      } catch {
        email = value.toLowerCase();
      }
      ids = await accountIdsWithEmail(db, email);
    }
    if (kind === 'eid') ids = await accountIdsWithEid(db, value);
    if (kind === 'iccid') ids = await accountIdsWithIccid(db, value);
    if (kind === 'phone') {
      let phone: string | null = null;
      try {
        phone = normalizePhone(value, (await deps.policies.get()).operatorCountry);
      } catch {
        phone = null;
      }
      if (phone) {
        // The sign-in phone or a line's number (MSISDN): both are "the customer's phone" to an agent.
        const byPhone = await accountIdsWithPhone(db, phone);
        const byNumber = await accountIdsWithMsisdn(db, phone);
        ids = [...byPhone, ...byNumber];
      }
    }
    const unique = [...new Set(ids)].slice(0, 50);
    if (unique.length === 0) return { items: [], nextCursor: null };
    const rows = await subscribersByIds(db, unique);
    return {
      items: rows.map((a) => ({
        id: a.id,
        email: a.email,
        phone: a.phone,
        status: a.status,
        locale: a.locale,
        createdAt: a.created_at,
        matchedBy: kind,
      })),
      nextCursor: null,
    };
  }

  return { search };
}
