import { type QueryKey, type UseMutationOptions, useMutation, useQueryClient } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { isApiError } from './client.js';

export interface ApiMutationOptions<TData, TVariables>
  extends Omit<UseMutationOptions<TData, Error, TVariables>, 'mutationFn'> {
  /** Queries made stale by a success (each key a prefix, as react-query matches them); `'all'` for every query. */
  invalidates?: readonly QueryKey[] | 'all';
  /** A `@mantine/form` form: a failure's per-field messages (fieldErrorsOf) are shown under its fields. */
  form?: { setErrors(errors: Record<string, string>): void };
}

/**
 * One mutation idiom for the whole app: the call, the queries it makes stale, and the message to show
 * when it fails (the API's own sentence in the page's language, or the generic one when the request
 * never got an answer); with `form`, the API's per-field messages go under the form's fields.
 */
export function useApiMutation<TData, TVariables = void>(
  mutationFn: (variables: TVariables) => Promise<TData>,
  { invalidates, form, onSuccess, onError, ...options }: ApiMutationOptions<TData, TVariables> = {},
) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const mutation = useMutation<TData, Error, TVariables>({
    ...options,
    mutationFn,
    onSuccess: async (data, variables, onMutateResult, context) => {
      if (invalidates === 'all') await queryClient.invalidateQueries();
      else for (const queryKey of invalidates ?? []) await queryClient.invalidateQueries({ queryKey });
      await onSuccess?.(data, variables, onMutateResult, context);
    },
    onError: async (error, variables, onMutateResult, context) => {
      form?.setErrors(fieldErrorsOf(error));
      await onError?.(error, variables, onMutateResult, context);
    },
  });
  return Object.assign(mutation, { errorMessage: errorMessageOf(mutation.error, t) });
}

/** What to say about a failed request (a query's too): the API's own sentence, else the generic one. */
export function errorMessageOf(error: unknown, t: TFunction): string | null {
  if (!error) return null;
  return isApiError(error) ? error.message : t('app.loadError');
}

/**
 * The API names the fields a 4xx is about: `details.issues` ({ field, message } each, field a dotted
 * path) for a refused schema, or `details.field` with the error's own sentence. A form shows each
 * message under its field (see `@mantine/form`'s `setErrors`).
 */
export function fieldErrorsOf(error: unknown): Record<string, string> {
  if (!isApiError(error)) return {};
  const errors: Record<string, string> = {};
  const issues = Array.isArray(error.details.issues) ? error.details.issues : [];
  for (const issue of issues as { field?: unknown; message?: unknown }[])
    if (typeof issue.field === 'string' && typeof issue.message === 'string' && !(issue.field in errors))
      errors[issue.field] = issue.message;
  const field = error.details.field;
  if (issues.length === 0 && typeof field === 'string' && field) errors[field] = error.message;
  return errors;
}

/**
 * `fieldErrorsOf` for a form's own fields: a nested path (`amount.amount`) goes under the field it belongs
 * to (`amount`); messages about other fields are left out, for the page's alert to say.
 */
export function formErrorsOf(error: unknown, fields: readonly string[]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const [path, message] of Object.entries(fieldErrorsOf(error))) {
    const field = fields.find((f) => path === f || path.startsWith(`${f}.`));
    if (field && !(field in errors)) errors[field] = message;
  }
  return errors;
}

/** The failure's message for the page's alert, or null when the form shows it under one of its `fields`. */
export function alertMessageOf(
  mutation: { error: unknown; errorMessage: string | null },
  fields: readonly string[],
): string | null {
  return Object.keys(formErrorsOf(mutation.error, fields)).length > 0 ? null : mutation.errorMessage;
}
