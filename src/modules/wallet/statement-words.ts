import type { Locale } from '../../core/i18n.js';
import type { Db } from '../../db/database.js';
import { maskTarget } from '../identity/normalize.js';
import * as statementStore from './stores/statement.store.js';

/** A phone number as people write it, with its middle hidden: 138****0001 (mainland China), +44 ******0001 elsewhere. */
export function maskedParty(party: { email: string | null; phone: string | null }): string | null {
  if (party.email) return maskTarget(party.email);
  if (!party.phone) return null;
  const mainland = /^\+86(1\d{10})$/.exec(party.phone);
  if (mainland) return `${mainland[1]!.slice(0, 3)}****${mainland[1]!.slice(-4)}`;
  return maskTarget(party.phone);
}

const nameIn = (names: string, locale: Locale) => {
  const all = JSON.parse(names) as Record<string, string>;
  return all[locale] ?? all.en ?? null;
};

/**
 * What a statement line is about, for people (issue 21 item 7): the other side of a transfer
 * ("Transfer to 138****0001") and what a purchase bought ("Japan 5 GB · 7 days"), in the
 * subscriber's language. Read-only; the web app words the line around these facts.
 */
export function createStatementWords(deps: { db: Db }) {
  const { db } = deps;

  async function describe(
    accountId: string,
    items: { id: string; kind: string }[],
    locale: Locale,
  ): Promise<Map<string, { counterparty: string | null; item: string | null }>> {
    const ids = items.filter((i) => i.kind !== 'topup' && i.kind !== 'usage').map((i) => i.id);
    const facts = new Map<string, { counterparty: string | null; item: string | null }>();
    if (ids.length === 0) return facts;
    const postings = await statementStore.postingsByIds(db, ids);

    const transferSides = postings
      .filter((p) => p.kind === 'transfer')
      .flatMap((p) => [p.debit_id, p.credit_id]);
    const wallets = transferSides.length ? await statementStore.walletOwners(db, transferSides) : [];
    const ownerOf = new Map(wallets.map((w) => [w.id, w.owner_id]));
    const owners = [...new Set(wallets.map((w) => w.owner_id).filter((o): o is string => o !== null))];
    const parties = owners.length ? await statementStore.contactsOf(db, owners) : [];
    const partyOf = new Map(parties.map((p) => [p.id, maskedParty(p)]));

    const lineIds = postings
      .filter((p) => p.reference_type === 'line' || p.reference_type === 'plan_change')
      .map((p) => p.reference_id!);
    const plans = lineIds.length ? await statementStore.planNamesOfLines(db, accountId, lineIds) : [];
    const planOf = new Map(plans.map((p) => [p.id, nameIn(p.names, locale)]));
    const addonIds = postings.filter((p) => p.reference_type === 'addon').map((p) => p.reference_id!);
    const addons = addonIds.length ? await statementStore.addonNames(db, addonIds) : [];
    const addonOf = new Map(addons.map((a) => [a.id, nameIn(a.names, locale)]));

    for (const p of postings) {
      if (p.kind === 'transfer') {
        const other = ownerOf.get(p.debit_id) === accountId ? p.credit_id : p.debit_id;
        facts.set(p.id, { counterparty: partyOf.get(ownerOf.get(other) ?? '') ?? null, item: null });
      } else if (p.reference_type === 'addon') {
        facts.set(p.id, { counterparty: null, item: addonOf.get(p.reference_id ?? '') ?? null });
      } else if (p.reference_type === 'line' || p.reference_type === 'plan_change') {
        facts.set(p.id, { counterparty: null, item: planOf.get(p.reference_id ?? '') ?? null });
      }
    }
    return facts;
  }

  return { describe };
}
