/** Tables the catalog module owns: plans and the countries they cover. */

export interface PlansTable {
  id: string;
  code: string;
  /** JSON: { "en": "...", "zh-CN": "..." } */
  names: string;
  region: string | null;
  data_mb: number;
  voice_minutes: number;
  sms: number;
  validity_days: number;
  price: number;
  currency: string;
  /** JSON: out-of-bundle rates in minor units { dataPerMb, voicePerMinute, smsEach } */
  overage: string;
  status: 'active' | 'retired';
  created_at: string;
  updated_at: string;
}

export interface PlanCountriesTable {
  plan_id: string;
  country: string;
}
