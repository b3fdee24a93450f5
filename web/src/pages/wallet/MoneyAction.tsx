import { Alert, NumberInput, type NumberInputProps } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { keys } from '../../api/keys.js';
import { alertMessageOf, formErrorsOf, useApiMutation } from '../../api/mutation.js';

/** What moving money makes stale: the balance, the statement and what can still be refunded. */
export const MONEY_KEYS = [keys.balance, keys.wallet.statement, keys.wallet.refundable];

/** One Idempotency-Key per intended write: kept while the form is unchanged, so a retry cannot pay twice. */
function useIntentKey() {
  const [key, setKey] = useState(() => crypto.randomUUID());
  return { key, renew: () => setKey(crypto.randomUUID()) };
}

/** The part of a `@mantine/form` form that shows the API's messages under its fields. */
interface FieldErrors {
  setErrors: (errors: Record<string, string>) => void;
}

/**
 * Runs one money-moving request with the intent's key: `work` answers the localised outcome; a success
 * takes a fresh key and fresh figures. The API's messages about the form's own `fields` are shown under
 * them, any other in the outcome alert.
 */
export function useMoneyAction<TVariables>(
  work: (variables: TVariables, idempotencyKey: string) => Promise<string>,
  { form, fields, onSuccess }: { form: FieldErrors; fields: readonly string[]; onSuccess?: () => void },
) {
  const intent = useIntentKey();
  const mutation = useApiMutation((variables: TVariables) => work(variables, intent.key), {
    invalidates: MONEY_KEYS,
    onSuccess: () => {
      intent.renew();
      onSuccess?.();
    },
    onError: (e) => form.setErrors(formErrorsOf(e, fields)),
  });
  return Object.assign(mutation, {
    ok: mutation.isSuccess ? mutation.data : null,
    alertMessage: alertMessageOf(mutation, fields),
  });
}

export function Outcome({ ok, error }: { ok: string | null; error: string | null }) {
  if (error)
    return (
      <Alert color="red" role="alert" data-testid="wallet-error">
        {error}
      </Alert>
    );
  if (ok)
    return (
      <Alert color="green" role="status" data-testid="wallet-ok">
        {ok}
      </Alert>
    );
  return null;
}

/** The amount of a top-up, a transfer or a refund, in major units; `input` comes from the form's `getInputProps`. */
export function AmountInput({ input, testId }: { input: NumberInputProps; testId: string }) {
  const { t } = useTranslation();
  return (
    <NumberInput
      label={t('wallet.amount')}
      {...input}
      min={0.01}
      decimalScale={2}
      required
      style={{ flex: 1 }}
      data-testid={testId}
    />
  );
}
