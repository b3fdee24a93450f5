import { Alert, Button, Card, Group, List, Stack, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api, unwrap } from '../../api/client.js';
import { keys } from '../../api/keys.js';
import { useApiMutation } from '../../api/mutation.js';
import { BackToChecklistButton } from '../../components/BackToChecklist.js';
import { formatMoney, type Money, minorDigits } from '../../format.js';

/** A forfeit's receipt, carried back to the checklist in the navigation's state. */
export interface Receipt {
  id: string;
  amount: Money;
  balanceAfter: Money;
  arrearsPaid?: Money;
}

interface Figures {
  forfeitable: Money;
  refundable: Money;
  balance: Money;
  arrears: Money;
  arrearsPaid: Money;
}

/** "12.30" for 1230 CNY: what the subscriber types to agree to give it up. */
function plainAmount(m: Money): string {
  const digits = minorDigits(m.currency);
  return (m.amount / 10 ** digits).toFixed(digits);
}

/** The typed amount in minor units, or null when it is not a plain number ("¥70", "70.00 元" and "70" all read as 70). */
function typedMinor(text: string, currency: string): number | null {
  const cleaned = text.replace(/[\s,¥￥$€£元]|CN|US/gi, '');
  if (!/^\d+(\.\d+)?$/.test(cleaned)) return null;
  return Math.round(Number(cleaned) * 10 ** minorDigits(currency));
}

/** The Forfeit step: what cannot be refunded, given up knowingly (the amount typed), once per key. */
export function ForfeitStep() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const figures = useQuery({
    queryKey: keys.cancellation.forfeitable,
    queryFn: () => unwrap(api.GET('/api/v1/me/forfeits/forfeitable')),
  });
  // One key for this intended forfeit: a double click or a retry after a lost answer gives it up once.
  const [key] = useState(() => crypto.randomUUID());
  const give = useApiMutation(
    (amount: Money) =>
      unwrap(
        api.POST('/api/v1/me/forfeits', {
          body: { amount, confirm: true },
          params: { header: { 'idempotency-key': key } },
        }),
      ),
    {
      invalidates: 'all',
      onSuccess: (receipt) => navigate('/account/close', { state: { forfeit: receipt } }),
      // The figures may have moved (a top-up, a refund): show the new ones; the typed amount must match again.
      onError: () => void figures.refetch(),
    },
  );
  const f = figures.data as Figures | undefined;
  return (
    <Stack gap="lg" py="md" data-testid="forfeit-step">
      <BackToChecklistButton />
      <Title order={2}>{t('forfeit.title')}</Title>
      {figures.isError && <Alert color="red">{t('app.loadError')}</Alert>}
      {f && f.forfeitable.amount === 0 && (
        <Alert color="gray" data-testid="forfeit-nothing">
          {t('forfeit.nothing')}
        </Alert>
      )}
      {f && f.forfeitable.amount > 0 && (
        <GiveUp
          figures={f}
          error={give.errorMessage}
          pending={give.isPending}
          onGive={() => give.mutate(f.forfeitable)}
        />
      )}
    </Stack>
  );
}

/** The amount, what giving it up means, the other ways, and the amount typed again to agree. */
function GiveUp({
  figures: f,
  error,
  pending,
  onGive,
}: {
  figures: Figures;
  error: string | null;
  pending: boolean;
  onGive: () => void;
}) {
  const { t, i18n } = useTranslation();
  const [typed, setTyped] = useState('');
  const fmt = (m: Money) => formatMoney(m, i18n.language);
  const plain = plainAmount(f.forfeitable);
  const matches = typedMinor(typed, f.forfeitable.currency) === f.forfeitable.amount;
  return (
    // A readable measure on wide screens: the warning and the typed amount stay close to the button.
    <Card withBorder radius="md" padding="lg" maw={640}>
      <Stack gap="md">
        <div>
          <Text size="sm" c="dimmed">
            {t('forfeit.amountLabel')}
          </Text>
          <Text fz={36} fw={700} data-testid="forfeitable">
            {fmt(f.forfeitable)}
          </Text>
        </div>
        <Alert color="red" variant="light" title={t('forfeit.lostTitle')} data-testid="forfeit-warning">
          <Text size="sm">{t('forfeit.lostText', { amount: fmt(f.forfeitable) })}</Text>
        </Alert>
        <List size="sm" spacing={4}>
          <List.Item>{t('forfeit.why')}</List.Item>
          {f.arrearsPaid.amount > 0 && (
            <List.Item data-testid="forfeit-arrears">
              {t('forfeit.arrearsFirst', { amount: fmt(f.arrearsPaid) })}
            </List.Item>
          )}
          {f.refundable.amount > 0 && (
            <List.Item>
              {t('forfeit.refundFirst', { amount: fmt(f.refundable) })}{' '}
              <Link to="/wallet?from=close&tab=refund">{t('forfeit.refundLink')}</Link>
            </List.Item>
          )}
          <List.Item>{t('forfeit.alternative')}</List.Item>
        </List>
        <TextInput
          label={t('forfeit.typeLabel', { amount: plain })}
          description={t('forfeit.typeHint')}
          value={typed}
          onChange={(e) => setTyped(e.currentTarget.value)}
          inputMode="decimal"
          autoComplete="off"
          placeholder={plain}
          // Said only once as much has been typed as the amount has characters, not at the first digit.
          error={typed.trim().length >= plain.length && !matches ? t('forfeit.typeMismatch') : undefined}
          data-testid="forfeit-typed"
        />
        {error && (
          <Alert color="red" role="alert" data-testid="forfeit-error">
            {error}
          </Alert>
        )}
        <Group justify="space-between" wrap="wrap">
          <Button component={Link} to="/account/close" variant="default">
            {t('forfeit.keep')}
          </Button>
          <Button
            color="red"
            disabled={!matches}
            loading={pending}
            onClick={onGive}
            data-testid="forfeit-submit"
          >
            {t('forfeit.submit', { amount: fmt(f.forfeitable) })}
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}

/** Back on the checklist after a forfeit: what was given up and its receipt id (also the statement line's reference). */
export function ForfeitReceipt({ receipt }: { receipt: Receipt }) {
  const { t, i18n } = useTranslation();
  return (
    <Alert color="green" role="status" title={t('forfeit.doneTitle')} data-testid="forfeit-done">
      <Text size="sm">
        {t('forfeit.doneText', {
          amount: formatMoney(receipt.amount, i18n.language),
          balance: formatMoney(receipt.balanceAfter, i18n.language),
        })}
      </Text>
      <Text size="sm" mt={4}>
        {t('forfeit.receipt')} <code data-testid="forfeit-receipt">{receipt.id}</code>
      </Text>
    </Alert>
  );
}
