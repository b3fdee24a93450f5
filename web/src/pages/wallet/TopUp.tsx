import { Alert, Badge, Button, Chip, Group, Stack } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { api, unwrap } from '../../api/client.js';
import { keys } from '../../api/keys.js';
import { useMeta } from '../../api/meta.js';
import { formatMoney, type Money, toMinor } from '../../format.js';
import { AmountInput, MONEY_KEYS, Outcome, useMoneyAction } from './MoneyAction.js';

const PRESETS = [50, 100, 200, 500];

/** Polls a top-up the provider's hosted page sent the subscriber back from, until its webhook has landed. */
function TopUpReturn({ id }: { id: string }) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const payment = useQuery({
    queryKey: keys.wallet.topup(id),
    queryFn: () => unwrap(api.GET('/api/v1/me/topups/{id}', { params: { path: { id } } })),
    // Every 2 s for the first two minutes, then every 15 s: a slow provider still settles on screen.
    refetchInterval: (query) =>
      query.state.data?.status !== 'pending' ? false : query.state.dataUpdateCount < 60 ? 2000 : 15_000,
  });
  const status = payment.data?.status;
  useEffect(() => {
    if (status && status !== 'pending')
      for (const queryKey of MONEY_KEYS) void queryClient.invalidateQueries({ queryKey });
  }, [status, queryClient]);
  if (payment.isError)
    return (
      <Alert color="red" role="alert" data-testid="topup-return">
        {t('app.loadError')}
      </Alert>
    );
  if (!payment.data) return null;
  const amount = formatMoney(payment.data.amount as Money, i18n.language);
  const color = status === 'succeeded' ? 'green' : status === 'failed' ? 'red' : 'blue';
  return (
    <Alert color={color} role="status" data-testid="topup-return" data-status={status}>
      {t(`wallet.topupStatus.${payment.data.status}`, { amount })}
    </Alert>
  );
}

export function TopUp({ currency }: { currency: string }) {
  const { t, i18n } = useTranslation();
  const meta = useMeta();
  const [params] = useSearchParams();
  const returnedFrom = params.get('topup');
  const form = useForm<{ amount: number | string }>({ initialValues: { amount: 100 } });
  const action = useMoneyAction(
    async (amount: number | string, key) => {
      const payment = await unwrap(
        api.POST('/api/v1/me/topups', {
          body: { amount: { amount: toMinor(Number(amount), currency), currency } },
          params: { header: { 'idempotency-key': key } },
        }),
      );
      // A real provider's hosted page (Stripe Checkout, Alipay): it sends the subscriber back to ?topup=<id>.
      if (payment.status === 'pending' && payment.redirectUrl) {
        window.location.assign(payment.redirectUrl);
        return t('wallet.topupRedirect');
      }
      return t(`wallet.topupStatus.${payment.status}`, {
        amount: formatMoney(payment.amount as Money, i18n.language),
      });
    },
    { form, fields: ['amount'] },
  );
  const amount = form.getValues().amount;
  return (
    <form onSubmit={form.onSubmit(({ amount }) => action.mutate(amount))}>
      <Stack gap="sm">
        {returnedFrom && <TopUpReturn id={returnedFrom} />}
        {meta.data?.demoParts.includes('test-payments') && (
          <Badge
            color="orange"
            variant="light"
            // The whole notice on a 320 px phone: it wraps instead of being cut.
            styles={{
              root: { height: 'auto', maxWidth: '100%', paddingBlock: 2 },
              label: { whiteSpace: 'normal', overflow: 'visible', textAlign: 'center' },
            }}
            data-testid="test-mode"
          >
            {t('wallet.testMode')}
          </Badge>
        )}
        <Group gap="xs">
          {PRESETS.map((p) => (
            <Chip
              key={p}
              checked={Number(amount) === p}
              onChange={() => form.setFieldValue('amount', p)}
              variant="outline"
            >
              {formatMoney({ amount: toMinor(p, currency), currency }, i18n.language)}
            </Chip>
          ))}
        </Group>
        <AmountInput input={form.getInputProps('amount')} testId="topup-amount" />
        <Button type="submit" loading={action.isPending} data-testid="topup-submit">
          {t('wallet.topupAction')}
        </Button>
        <Outcome ok={action.ok} error={action.alertMessage} />
      </Stack>
    </form>
  );
}
