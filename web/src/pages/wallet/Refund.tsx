import { Alert, Button, Group, Stack, Text } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api, unwrap } from '../../api/client.js';
import { keys } from '../../api/keys.js';
import { formatMoney, type Money, minorDigits, toMinor } from '../../format.js';
import { AmountInput, Outcome, useMoneyAction } from './MoneyAction.js';

/** Pays back what was topped up and not yet spent, to where it came from. */
export function Refund({ currency }: { currency: string }) {
  const { t, i18n } = useTranslation();
  const refundable = useQuery({
    queryKey: keys.wallet.refundable,
    queryFn: () => unwrap(api.GET('/api/v1/me/refunds/refundable')),
  });
  const form = useForm<{ amount: number | string }>({ initialValues: { amount: '' } });
  const fromClose = useSearchParams()[0].get('from') === 'close';
  const fmt = (m: Money | undefined) => (m ? formatMoney(m, i18n.language) : '…');
  const action = useMoneyAction(
    async (amount: number | string, key) => {
      const money = { amount: toMinor(Number(amount), currency), currency };
      const refund = await unwrap(
        api.POST('/api/v1/me/refunds', {
          body: { amount: money },
          params: { header: { 'idempotency-key': key } },
        }),
      );
      return t(`wallet.refundStatus.${refund.status}`, { amount: formatMoney(money, i18n.language) });
    },
    { form, fields: ['amount'], onSuccess: () => form.reset() },
  );
  const r = refundable.data;
  return (
    <form onSubmit={form.onSubmit(({ amount }) => action.mutate(amount))}>
      <Stack gap="sm">
        <Text data-testid="refundable">
          {t('wallet.refundable', { amount: fmt(r?.refundable as Money) })}
        </Text>
        <Text size="sm" c="dimmed">
          {t('wallet.refundableWhy', {
            balance: fmt(r?.balance as Money),
            topped: fmt(r?.toppedUpNotRefunded as Money),
          })}
        </Text>
        <Group align="flex-end">
          <AmountInput input={form.getInputProps('amount')} testId="refund-amount" />
          <Button
            variant="default"
            disabled={!r || r.refundable.amount === 0}
            onClick={() =>
              r && form.setFieldValue('amount', r.refundable.amount / 10 ** minorDigits(currency))
            }
            data-testid="refund-all"
          >
            {t('wallet.refundAll')}
          </Button>
        </Group>
        <Button
          type="submit"
          loading={action.isPending}
          disabled={!r || r.refundable.amount === 0}
          data-testid="refund-submit"
        >
          {t('wallet.refundAction')}
        </Button>
        <Outcome ok={action.ok} error={action.alertMessage} />
        {fromClose && r && r.balance.amount > r.refundable.amount && (
          // Opened from the closure checklist: what no refund can return, and the other ways for it.
          <Alert color="gray" variant="light" data-testid="not-refundable">
            {t('forfeit.notRefundable', {
              amount: fmt({ amount: r.balance.amount - r.refundable.amount, currency: r.balance.currency }),
            })}{' '}
            <Link to="/account/close">{t('closeLoop.backToChecklist')}</Link>
          </Alert>
        )}
      </Stack>
    </form>
  );
}
