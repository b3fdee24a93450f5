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
} as const satisfies Record<string, StatusCodeData>;

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
