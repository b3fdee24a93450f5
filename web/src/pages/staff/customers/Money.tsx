import { Alert, Button, Group, NumberInput, SegmentedControl, Stack, TextInput } from '@mantine/core';
import { type UseFormReturnType, useForm } from '@mantine/form';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../../api/client.js';
import { useApiMutation } from '../../../api/mutation.js';
import { formatMoney, type Money, toMinor } from '../../../format.js';
import { staffKeys } from '../keys.js';

/** Shaped like the request's body, so the API's field names (`amount.amount`) are the form's. */
interface MoneyValues {
  amount: { amount: number | string };
  reason: string;
}

/**
 * A money form's state and its post. One idempotency key per intended post: a double click or a
 * retry after a timeout posts it once; a success starts the next one.
 */
function useMoneyPost<T>(
  accountId: string,
  post: (values: MoneyValues, idempotencyKey: string) => Promise<T>,
) {
  const form = useForm<MoneyValues>({ initialValues: { amount: { amount: '' }, reason: '' } });
  const [key, setKey] = useState(() => crypto.randomUUID());
  const mutation = useApiMutation((values: MoneyValues) => post(values, key), {
    invalidates: [staffKeys.customer(accountId)],
    onSuccess: () => {
      setKey(crypto.randomUUID());
      form.reset();
    },
    form,
  });
  return { form, mutation };
}

function amountOf(values: MoneyValues, currency: string) {
  return { amount: toMinor(Number(values.amount.amount), currency), currency };
}

/** Amount, reason and the button that posts them: what a credit and a write-off share. */
function MoneyFields({
  form,
  testId,
  reasonLabel,
  children,
}: {
  form: UseFormReturnType<MoneyValues>;
  testId: 'adjust' | 'write-off';
  reasonLabel: string;
  /** The submit button, told whether the amount and reason are complete. */
  children: (ready: boolean) => ReactNode;
}) {
  const { t } = useTranslation();
  const ready = Number(form.values.amount.amount) > 0 && form.values.reason.trim().length >= 3;
  return (
    <Group align="flex-end" wrap="wrap">
      <NumberInput
        label={t('customers.adjustment.amount')}
        min={0.01}
        decimalScale={2}
        {...form.getInputProps('amount.amount')}
        w={140}
        data-testid={`${testId}-amount`}
      />
      <TextInput
        label={reasonLabel}
        {...form.getInputProps('reason')}
        style={{ flex: 1, minWidth: 200 }}
        data-testid={`${testId}-reason`}
      />
      {children(ready)}
    </Group>
  );
}

/** A goodwill credit to the balance; above the policy's limit it waits for an administrator. */
export function Adjust({ accountId, currency }: { accountId: string; currency: string }) {
  const { t } = useTranslation();
  const { form, mutation: post } = useMoneyPost(accountId, (values, key) =>
    unwrap(
      api.POST('/api/v1/staff/accounts/{id}/adjustments', {
        params: { path: { id: accountId }, header: { 'idempotency-key': key } },
        body: { amount: amountOf(values, currency), reason: values.reason.trim() },
      }),
    ),
  );
  return (
    <form onSubmit={form.onSubmit((values) => post.mutate(values))}>
      <Stack gap="xs">
        <MoneyFields form={form} testId="adjust" reasonLabel={t('customers.adjustment.reason')}>
          {(ready) => (
            <Button type="submit" loading={post.isPending} disabled={!ready} data-testid="adjust-submit">
              {t('customers.adjustment.post')}
            </Button>
          )}
        </MoneyFields>
        {post.isSuccess && <Alert color="green">{t(`customers.adjustment.${post.data.status}`)}</Alert>}
        {post.errorMessage && <Alert color="red">{post.errorMessage}</Alert>}
      </Stack>
    </form>
  );
}

const WRITE_OFF_COLOR: Record<string, string> = { posted: 'green', pending_approval: 'yellow' };

/** The goodwill credit's mirror: a debit of the balance, or (closing accounts only) a waiver of what is owed. */
export function WriteOff({
  accountId,
  currency,
  closing,
  arrears,
}: {
  accountId: string;
  currency: string;
  closing: boolean;
  arrears: Money;
}) {
  const { t, i18n } = useTranslation();
  const [of, setOf] = useState<'balance' | 'arrears'>('balance');
  const target = closing ? of : 'balance';
  const { form, mutation: post } = useMoneyPost(accountId, (values, key) =>
    unwrap(
      api.POST('/api/v1/staff/accounts/{id}/write-offs', {
        params: { path: { id: accountId }, header: { 'idempotency-key': key } },
        body: { amount: amountOf(values, currency), reason: values.reason.trim(), of: target },
      }),
    ),
  );
  const outcome = post.isSuccess
    ? {
        color: WRITE_OFF_COLOR[post.data.status] ?? 'red',
        text: t(`customers.writeOff.${post.data.kind}.${post.data.status}`),
      }
    : post.errorMessage && { color: 'red', text: post.errorMessage };
  return (
    <form onSubmit={form.onSubmit((values) => post.mutate(values))}>
      <Stack gap="xs" data-testid="write-off">
        {closing && (
          <SegmentedControl
            value={of}
            onChange={(v) => setOf(v as 'balance' | 'arrears')}
            data={[
              { value: 'balance', label: t('customers.writeOff.ofBalance') },
              {
                value: 'arrears',
                label: t('customers.writeOff.ofArrears', { amount: formatMoney(arrears, i18n.language) }),
                disabled: arrears.amount === 0,
              },
            ]}
            w="fit-content"
            data-testid="write-off-of"
          />
        )}
        <MoneyFields form={form} testId="write-off" reasonLabel={t('customers.writeOff.reason')}>
          {(ready) => (
            <Button
              type="submit"
              color="red"
              variant="light"
              loading={post.isPending}
              disabled={!ready}
              data-testid="write-off-submit"
            >
              {t(target === 'arrears' ? 'customers.writeOff.postArrears' : 'customers.writeOff.post')}
            </Button>
          )}
        </MoneyFields>
        {outcome && (
          <Alert color={outcome.color} role="status" data-testid="write-off-outcome">
            {outcome.text}
          </Alert>
        )}
      </Stack>
    </form>
  );
}
