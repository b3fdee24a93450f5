/**
 * Plan search: a query finds a plan by its name, by a country's ISO code, by the country's name in
 * English or Chinese (whatever the page's language), or by a common other name ("UK", "USA", "Turkey",
 * "Holland"); prefixes too ("Turk", "Ger"), case and accents ignored.
 */

/** Other names people type for a country, by ISO 3166 alpha-2 code. */
const ALIASES: Record<string, string[]> = {
  GB: [
    'UK',
    'U.K.',
    'Britain',
    'Great Britain',
    'England',
    'Scotland',
    'Wales',
    'Northern Ireland',
    '英国',
    '英格兰',
  ],
  US: ['USA', 'U.S.', 'U.S.A.', 'America', 'United States of America', '美国'],
  TR: ['Turkey', 'Turkiye', '土耳其'],
  NL: ['Holland', 'The Netherlands', '荷兰'],
  KR: ['Korea', 'South Korea', 'Republic of Korea', '韩国', '南韩'],
  KP: ['North Korea'],
  AE: ['UAE', 'U.A.E.', 'Emirates', 'Dubai', 'Abu Dhabi', '阿联酋', '迪拜'],
  CZ: ['Czech Republic', 'Czechia', '捷克'],
  RU: ['Russia', 'Russian Federation', '俄罗斯'],
  VN: ['Vietnam', 'Viet Nam', '越南'],
  LA: ['Laos'],
  IR: ['Iran'],
  SY: ['Syria'],
  MD: ['Moldova'],
  BO: ['Bolivia'],
  VE: ['Venezuela'],
  TZ: ['Tanzania'],
  TW: ['Taiwan', '台湾', '中国台湾'],
  HK: ['Hong Kong', 'HongKong', '香港', '中国香港'],
  MO: ['Macau', 'Macao', '澳门', '中国澳门'],
  CN: ['China', 'Mainland China', 'PRC', '中国', '中国大陆'],
  JP: ['Japan', 'Nippon', '日本'],
  DE: ['Germany', 'Deutschland', '德国'],
  CH: ['Switzerland', 'Swiss', '瑞士'],
  CI: ["Côte d'Ivoire", 'Ivory Coast'],
  CV: ['Cape Verde', 'Cabo Verde'],
  SZ: ['Swaziland', 'Eswatini'],
  MK: ['Macedonia', 'North Macedonia'],
  MM: ['Burma', 'Myanmar'],
  PS: ['Palestine'],
  VA: ['Vatican', 'Holy See'],
  BN: ['Brunei'],
  FM: ['Micronesia'],
};

/** Lower case, accents and punctuation gone: "Türkiye" → "turkiye", "U.K." → "uk". */
export function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[.'’()]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function displayNames(locale: string): Intl.DisplayNames | null {
  try {
    return new Intl.DisplayNames([locale], { type: 'region' });
  } catch {
    return null;
  }
}

const NAMERS = ['en', 'zh-CN'].map(displayNames).filter((d): d is Intl.DisplayNames => d !== null);

/** Every name a country goes by, folded: its code, its names in English and Chinese, its aliases. */
export function countryTerms(code: string): string[] {
  const upper = code.toUpperCase();
  const names = NAMERS.map((d) => {
    try {
      return d.of(upper) ?? '';
    } catch {
      return '';
    }
  });
  return [upper, ...names, ...(ALIASES[upper] ?? [])].filter(Boolean).map(fold);
}

/**
 * Whether a folded `term` answers the folded query `q`: the whole term or one of its words starts with
 * it; Chinese and queries of three letters or more may also match inside a term ("香港" in "中国香港").
 */
function termMatches(term: string, q: string): boolean {
  if (term.startsWith(q)) return true;
  if (term.split(/[\s\-–/&,]+/).some((w) => w.startsWith(q))) return true;
  return (q.length >= 3 || /[^\p{ASCII}]/u.test(q)) && term.includes(q);
}

export interface Searchable {
  name: string;
  countries: string[];
  countryNames: string[];
}

/** Whether the plan answers the search box's `query` (an empty query matches every plan). */
export function planMatches(plan: Searchable, query: string): boolean {
  const q = fold(query);
  if (!q) return true;
  if (termMatches(fold(plan.name), q)) return true;
  if (plan.countries.some((c) => c.toLowerCase() === q)) return true;
  const terms = [...plan.countryNames.map(fold), ...plan.countries.flatMap(countryTerms)];
  return terms.some((term) => termMatches(term, q));
}

/**
 * The name shown for a country: one name for Hong Kong, Macao and Taiwan in Chinese, the same as in the
 * plans' own names ("中国香港", not "香港" beside a plan called "中国香港 3GB").
 */
const ZH_NAMES: Record<string, string> = { HK: '中国香港', MO: '中国澳门', TW: '中国台湾' };

export function shownCountryName(code: string, serverName: string, language: string): string {
  return language.startsWith('zh') ? (ZH_NAMES[code.toUpperCase()] ?? serverName) : serverName;
}
