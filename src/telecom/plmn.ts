import mccMnc from 'mcc-mnc-list';
import { PARTNER_PLMNS } from './partners.js';

export interface PartnerNetwork {
  plmn: string;
  mcc: string;
  mnc: string;
  name: string;
}

const cache = new Map<string, PartnerNetwork[]>();

/**
 * The partner networks of a country that a roaming eSIM may be steered to (src/telecom/partners.ts),
 * each named by its brand (or operator) from the maintained mcc-mnc-list data.
 */
export function networksOf(country: string): PartnerNetwork[] {
  let networks = cache.get(country);
  if (!networks) {
    const partners = new Set(PARTNER_PLMNS[country] ?? []);
    const named = new Map<string, PartnerNetwork>();
    // A code may be listed under several countries (310260 in the US and Puerto Rico, 505 in AU/CC/CX).
    for (const o of mccMnc.all()) {
      const plmn = `${o.mcc}${o.mnc}`;
      if (partners.has(plmn) && !named.has(plmn) && o.countryCode?.split('/').includes(country))
        named.set(plmn, { plmn, mcc: o.mcc, mnc: o.mnc, name: o.brand || o.operator || plmn });
    }
    networks = [...named.values()].sort((a, b) => a.plmn.localeCompare(b.plmn));
    cache.set(country, networks);
  }
  return networks;
}
