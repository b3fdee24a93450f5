import mccMnc from 'mcc-mnc-list';

export interface PartnerNetwork {
  plmn: string;
  mcc: string;
  mnc: string;
  name: string;
}

const cache = new Map<string, PartnerNetwork[]>();

/**
 * The public mobile networks of a country that a roaming eSIM may attach to: operational national
 * networks from the maintained mcc-mnc-list data, each named by its brand (or operator).
 */
export function networksOf(country: string): PartnerNetwork[] {
  let networks = cache.get(country);
  if (!networks) {
    networks = mccMnc
      .filter({ countryCode: country })
      .filter((o) => o.status === 'Operational' && o.type === 'National' && (o.brand || o.operator))
      .map((o) => ({ plmn: `${o.mcc}${o.mnc}`, mcc: o.mcc, mnc: o.mnc, name: o.brand || o.operator }))
      .sort((a, b) => a.plmn.localeCompare(b.plmn));
    cache.set(country, networks);
  }
  return networks;
}
