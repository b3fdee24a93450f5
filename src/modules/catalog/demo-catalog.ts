/** A believable demo catalog: ten destinations and two regions (demo mode seeds it into an empty catalog). */
export interface PlanSeed {
  code: string;
  names: { en: string; 'zh-CN': string };
  countries: string[];
  region?: string;
  dataMb: number;
  voiceMinutes: number;
  sms: number;
  validityDays: number;
  /** Major units of the operator currency. */
  price: number;
}

const single = (
  code: string,
  country: string,
  en: string,
  zh: string,
  dataGb: number,
  days: number,
  price: number,
  voice = 0,
  sms = 0,
): PlanSeed => ({
  code,
  names: { en, 'zh-CN': zh },
  countries: [country],
  dataMb: dataGb * 1024,
  voiceMinutes: voice,
  sms,
  validityDays: days,
  price,
});

export const DEMO_PLANS: PlanSeed[] = [
  single('jp-5gb-7d', 'JP', 'Japan 5 GB · 7 days', '日本 5GB · 7天', 5, 7, 39),
  single(
    'jp-20gb-30d',
    'JP',
    'Japan 20 GB · 30 days, with calls',
    '日本 20GB · 30天 含通话',
    20,
    30,
    129,
    100,
    50,
  ),
  single('kr-10gb-15d', 'KR', 'South Korea 10 GB · 15 days', '韩国 10GB · 15天', 10, 15, 69),
  single('th-8gb-8d', 'TH', 'Thailand 8 GB · 8 days', '泰国 8GB · 8天', 8, 8, 35),
  single('sg-5gb-7d', 'SG', 'Singapore 5 GB · 7 days', '新加坡 5GB · 7天', 5, 7, 32),
  single(
    'us-10gb-30d',
    'US',
    'United States 10 GB · 30 days, with calls',
    '美国 10GB · 30天 含通话',
    10,
    30,
    119,
    200,
    100,
  ),
  single('gb-10gb-30d', 'GB', 'United Kingdom 10 GB · 30 days', '英国 10GB · 30天', 10, 30, 99),
  single('fr-5gb-15d', 'FR', 'France 5 GB · 15 days', '法国 5GB · 15天', 5, 15, 49),
  single('au-10gb-30d', 'AU', 'Australia 10 GB · 30 days', '澳大利亚 10GB · 30天', 10, 30, 109),
  single('hk-3gb-5d', 'HK', 'Hong Kong 3 GB · 5 days', '中国香港 3GB · 5天', 3, 5, 19),
  {
    code: 'europe-15gb-30d',
    names: { en: 'Europe 15 GB · 30 days (33 countries)', 'zh-CN': '欧洲 15GB · 30天（33国）' },
    region: 'europe',
    countries: [
      'AT',
      'BE',
      'BG',
      'HR',
      'CY',
      'CZ',
      'DK',
      'EE',
      'FI',
      'FR',
      'DE',
      'GR',
      'HU',
      'IS',
      'IE',
      'IT',
      'LV',
      'LI',
      'LT',
      'LU',
      'MT',
      'NL',
      'NO',
      'PL',
      'PT',
      'RO',
      'SK',
      'SI',
      'ES',
      'SE',
      'CH',
      'GB',
      'TR',
    ],
    dataMb: 15 * 1024,
    voiceMinutes: 60,
    sms: 30,
    validityDays: 30,
    price: 159,
  },
  {
    code: 'asia-10gb-15d',
    names: { en: 'Asia 10 GB · 15 days (8 countries)', 'zh-CN': '亚洲 10GB · 15天（8国）' },
    region: 'asia',
    countries: ['JP', 'KR', 'TH', 'SG', 'MY', 'VN', 'ID', 'PH'],
    dataMb: 10 * 1024,
    voiceMinutes: 0,
    sms: 0,
    validityDays: 15,
    price: 89,
  },
];
