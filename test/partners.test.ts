import { describe, expect, it } from 'vitest';
import { DEMO_PLANS } from '../src/modules/catalog/demo-catalog.js';
import { PARTNER_PLMNS } from '../src/telecom/partners.js';
import { networksOf } from '../src/telecom/plmn.js';

describe('partner networks', () => {
  it('names every partner of every country the built-in catalog covers, each code once', () => {
    const covered = new Set(DEMO_PLANS.flatMap((plan) => plan.countries));
    for (const country of covered) {
      const partners = PARTNER_PLMNS[country];
      expect(partners, country).toBeDefined();
      const networks = networksOf(country);
      expect(networks.map((n) => n.plmn)).toEqual([...partners!].sort());
      for (const n of networks) expect(n.name, `${country} ${n.plmn}`).not.toBe(n.plmn);
    }
  });

  it('offers nothing that is not a public operator: no police, railway or private network', () => {
    expect(networksOf('TH').map((n) => n.name)).toEqual(['AIS', 'TrueMove H', 'dtac']);
    expect(networksOf('DE').map((n) => n.name)).toEqual(['Telekom', 'Vodafone', 'O2']);
    expect(networksOf('US').map((n) => n.name)).toEqual(['T-Mobile', 'AT&T', 'Verizon']);
    expect(networksOf('XX')).toEqual([]);
  });
});
