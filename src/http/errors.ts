import type { ErrorObject } from 'ajv';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERROR_STATUS, type ErrorCode, isAppError } from '../core/errors.js';
import { translate } from '../core/i18n.js';
import { databaseFault } from '../db/errors.js';
import { type FieldIssue, isSchemaValidationError, issueOf } from './validation.js';

interface ErrorBody {
  code: ErrorCode;
  message: string;
  details: Record<string, unknown>;
}

/** Turns anything thrown into the API error shape; only unexpected errors are logged as errors. */
export function toAppError(error: unknown, request: FastifyRequest): AppError {
  if (isAppError(error)) return error;
  const fastifyError = error as Partial<FastifyError> & { validation?: unknown; validationContext?: string };
  if (fastifyError.validation) {
    const issues: FieldIssue[] = isSchemaValidationError(error)
      ? error.issues
      : Array.isArray(fastifyError.validation)
        ? (fastifyError.validation as ErrorObject[]).map(issueOf)
        : [{ field: '', message: fastifyError.message ?? 'is invalid' }];
    const part = fastifyError.validationContext ?? 'body';
    const located = issues.map((i) => ({
      field: i.field === '' ? part : i.field,
      in: part,
      message: i.message,
    }));
    const first = located[0];
    return new AppError(
      'VALIDATION_FAILED',
      { field: first?.field, in: part, issues: located },
      { reason: first ? `${first.field} ${first.message}` : 'invalid input' },
    );
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('MALFORMED_JSON', { in: 'body' });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('PAYLOAD_TOO_LARGE', { limitBytes: request.routeOptions.bodyLimit });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', { contentType: request.headers['content-type'] ?? null });
  }
  if (error instanceof SyntaxError && fastifyError.statusCode === 400)
    return new AppError('MALFORMED_JSON', { in: 'body' });
  if (fastifyError.statusCode === 429) {
    const retryAfter = Number(fastifyError.message) || 60;
    return new AppError('RATE_LIMITED', { retryAfterSeconds: retryAfter }, { retryAfter });
  }
  const fault = databaseFault(error);
  if (fault === 'unavailable') return new AppError('DATABASE_UNAVAILABLE', {}, { retryAfter: 2 });
  if (fault === 'storage') return new AppError('STORAGE_UNAVAILABLE', {}, { retryAfter: 30 });
  const status = fastifyError.statusCode ?? 500;
  if (status === 404) return new AppError('NOT_FOUND');
  if (status === 413) return new AppError('PAYLOAD_TOO_LARGE');
  if (status === 415) return new AppError('UNSUPPORTED_MEDIA_TYPE');
  if (status >= 400 && status < 500) {
    return new AppError(
      'VALIDATION_FAILED',
      { reason: fastifyError.code ?? 'BAD_REQUEST' },
      { reason: fastifyError.code ?? 'bad request' },
    );
  }
  return new AppError('INTERNAL');
}

export function errorBody(error: AppError, request: FastifyRequest): ErrorBody {
  return {
    code: error.code,
    message: translate(request.locale, `errors.${error.code}`, error.params),
    details: error.details,
  };
}

export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const appError = toAppError(error, request);
  const environmental = appError.code === 'DATABASE_UNAVAILABLE' || appError.code === 'STORAGE_UNAVAILABLE';
  // The environment's faults are expected (and the operator sees them in /readyz); bugs are not.
  if (environmental) request.log.warn({ err: { message: (error as Error).message } }, 'database fault');
  else if (appError.status >= 500) request.log.error({ err: error }, 'request failed');
  else if (!isAppError(error))
    request.log.info({ err: { message: (error as Error).message } }, 'request rejected');
  if (environmental) reply.header('Retry-After', String(appError.params.retryAfter ?? 2));
  // Every 429 says when to come back: the rate limit's window, or the policy limit's next free slot.
  if (appError.code === 'RATE_LIMITED') reply.header('Retry-After', String(appError.params.retryAfter ?? 60));
  else if (appError.status === 429 && appError.params.retryAfter !== undefined)
    reply.header('Retry-After', String(appError.params.retryAfter));
  return reply.status(ERROR_STATUS[appError.code]).send(errorBody(appError, request));
}
