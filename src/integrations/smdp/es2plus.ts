/** GSMA SGP.22 ES2+ shapes shared by the client, the emulator and the notification endpoint (see shared/ESIM.md). */

export const ES2_PROTOCOL = 'gsma/rsp/v2.5.0';
export const ES2_PATH = '/gsma/rsp2/es2plus';

export type ExecutionStatus = 'Executed-Success' | 'Executed-WithWarning' | 'Failed' | 'Expired';

export interface StatusCodeData {
  subjectCode: string;
  reasonCode: string;
  subjectIdentifier?: string;
  message?: string;
}

export interface FunctionExecutionStatus {
  status: ExecutionStatus;
  statusCodeData?: StatusCodeData;
}

export interface RequestHeader {
  functionRequesterIdentifier: string;
  functionCallIdentifier: string;
}

/** Status codes esimdesk reacts to (subject/reason). */
export const ES2_CODES = {
  iccidUnknown: { subjectCode: '8.2.1', reasonCode: '3.9' },
  notAllowed: { subjectCode: '8.2.1', reasonCode: '1.2' },
  profileInUse: { subjectCode: '8.2.1', reasonCode: '3.3' },
  invalidTransition: { subjectCode: '8.2.1', reasonCode: '3.5' },
  otherEidLinked: { subjectCode: '8.2.1', reasonCode: '3.10' },
  inventoryExhausted: { subjectCode: '8.2.5', reasonCode: '3.7' },
  profileTypeUnknown: { subjectCode: '8.2.5', reasonCode: '3.9' },
  matchingIdInUse: { subjectCode: '8.2.6', reasonCode: '3.3' },
  refused: { subjectCode: '8.2.6', reasonCode: '3.8' },
  /** The caller is not the configured SM-DP+ (functionRequesterIdentifier, or an unauthenticated peer). */
  requesterNotAllowed: { subjectCode: '1.1', reasonCode: '1.2' },
  iccidInvalid: { subjectCode: '8.2.1', reasonCode: '2.1' },
  eidInvalid: { subjectCode: '8.1.1', reasonCode: '2.1' },
  eidMissing: { subjectCode: '8.1.1', reasonCode: '2.2' },
  /** The EID is not the one the order named (or the profile was downloaded to). */
  eidNotAssociated: { subjectCode: '8.1.1', reasonCode: '3.10' },
} as const satisfies Record<string, StatusCodeData>;

/** SGP.22 generic reasons for a request element: missing (2.2) or malformed (2.1). */
export const ELEMENT_MISSING = '2.2';
export const ELEMENT_INVALID = '2.1';

/** The subject code of a request element: its own where SGP.22 has one, else the function provider (1.2). */
export function subjectOf(field: string): string {
  const top = field.split('.')[0];
  if (top === 'iccid') return '8.2.1';
  if (top === 'eid') return '8.1.1';
  if (top === 'profileType') return '8.2.5';
  if (top === 'matchingId') return '8.2.6';
  return '1.2';
}

/** The body of an ES2+ answer whose function execution status is `Failed`. */
export function failedAnswer(code: StatusCodeData, message: string) {
  return {
    header: { functionExecutionStatus: { status: 'Failed' as const, statusCodeData: { ...code, message } } },
  };
}

/** An ES2+ function answered Failed (final: retrying the same call will not help) or Expired (may be retried). */
export class Es2Error extends Error {
  constructor(
    readonly fn: string,
    readonly status: ExecutionStatus,
    readonly code: StatusCodeData | undefined,
  ) {
    super(
      `ES2+ ${fn}: ${status}${code ? ` ${code.subjectCode}/${code.reasonCode}${code.message ? ` ${code.message}` : ''}` : ''}`,
    );
    this.name = 'Es2Error';
  }
  get final(): boolean {
    return this.status === 'Failed';
  }
  is(code: StatusCodeData): boolean {
    return this.code?.subjectCode === code.subjectCode && this.code?.reasonCode === code.reasonCode;
  }
}

/** Notification points of HandleDownloadProgressInfo (point 5 "deleted" is vendor-specific). */
export const NOTIFICATION_POINT = {
  eligibility: 1,
  confirmationFailure: 2,
  downloaded: 3,
  installed: 4,
  deleted: 5,
} as const;

/** `YYYY-MM-DDThh:mm:ssZ` as ES2+ writes timestamps. */
export function es2Timestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/**
 * An ES2+ `timestamp`: `YYYY-MM-DDThh:mm:ssZ` (any RFC 3339 time is taken), or epoch seconds (or
 * milliseconds) as some SM-DP+s send, as a number or a string of digits. null when it is neither.
 */
export function parseEs2Timestamp(raw: unknown): Date | null {
  if (typeof raw === 'number' || (typeof raw === 'string' && /^\d{9,13}$/.test(raw))) {
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n <= 0) return null;
    const date = new Date(n >= 1e12 ? n : n * 1000);
    return Number.isNaN(date.getTime()) ? null : date;
  }
  if (typeof raw !== 'string') return null;
  const match =
    /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/.exec(raw);
  if (!match) return null;
  const date = new Date(raw.replace(' ', 'T'));
  // Date would roll 2026-02-31 over to March, and takes 23:59:60; a field out of range is malformed.
  const [, y, mo, d, h, mi, se] = match.map(Number);
  if (
    Number.isNaN(date.getTime()) ||
    mo! < 1 ||
    mo! > 12 ||
    d! < 1 ||
    d! > 31 ||
    h! > 23 ||
    mi! > 59 ||
    se! > 59
  )
    return null;
  const local = new Date(Date.UTC(y!, mo! - 1, d!));
  return local.getUTCDate() === d ? date : null;
}
