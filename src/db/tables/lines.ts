/** Tables the lines module owns: numbers, lines, eSIM profiles, devices, ES2+ calls, add-ons, network preferences. */

export interface NumbersTable {
  msisdn: string;
  status: 'available' | 'assigned' | 'quarantined';
  line_id: string | null;
  /** A quarantined number becomes assignable again from this time. */
  available_from: string;
  updated_at: string;
}

export type LineStatus = 'pending' | 'active' | 'expired' | 'failed' | 'suspended' | 'terminated';

export interface LinesTable {
  id: string;
  account_id: string;
  plan_id: string;
  msisdn: string;
  status: LineStatus;
  price: number;
  currency: string;
  data_bytes_left: number | null;
  voice_seconds_left: number | null;
  sms_left: number | null;
  activated_at: string | null;
  expires_at: string | null;
  created_at: string;
  updated_at: string;
}

export type EsimState =
  | 'ordering'
  | 'allocated'
  | 'released'
  | 'downloaded'
  | 'installed'
  | 'disabling'
  | 'unusable'
  | 'failed';

export interface EsimsTable {
  id: string;
  line_id: string;
  account_id: string;
  iccid: string | null;
  state: EsimState;
  matching_id: string | null;
  activation_code: string | null;
  eid: string | null;
  failure: string | null;
  /** Set when this profile moves the line to a new phone: the old profile ends once this one is installed. */
  replaces_esim_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface DevicesTable {
  id: string;
  account_id: string;
  line_id: string;
  esim_id: string;
  eid: string;
  name: string;
  bound_at: string;
  unbound_at: string | null;
}

export type Es2CallOutcome = 'pending' | 'bound' | 'recorded' | 'duplicate' | 'ignored' | 'refused';

/** An ES2+ notification from the SM-DP+, by its functionCallIdentifier (migration 0013): a repeat gets the same answer. */
export interface Es2CallsTable {
  requester: string;
  call_id: string;
  function: string;
  /** Who the listener authenticated: the client certificate, or the proxy that vouched for it. */
  peer: string;
  iccid: string | null;
  point: number | null;
  outcome: Es2CallOutcome;
  /** The ES2+ status code of a refusal. */
  subject_code: string | null;
  reason_code: string | null;
  subject_identifier: string | null;
  message: string | null;
  received_at: string;
}

export interface NetworkPreferencesTable {
  line_id: string;
  country: string;
  /** MCC + MNC of the preferred partner network. */
  plmn: string;
  updated_at: string;
}

export interface AddonsTable {
  id: string;
  code: string;
  names: string;
  data_mb: number;
  voice_minutes: number;
  sms: number;
  price: number;
  currency: string;
  status: 'active' | 'retired';
  created_at: string;
}

export interface LineAddonsTable {
  id: string;
  line_id: string;
  addon_id: string;
  price: number;
  created_at: string;
}
