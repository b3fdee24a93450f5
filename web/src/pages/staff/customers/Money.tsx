import { Alert, Button, Group, NumberInput, SegmentedControl, Stack, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, isApiError, unwrap } from '../../../api/client.js';
import { formatMoney, type Money, toMinor } from '../../../format.js';

/** A goodwill credit to the balance; above the policy's limit it waits for an administrator. */
export function Adjust({ accountId, currency }: { accountId: string; currency: string }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [amount, setAmount] = useState<number | string>('');
  const [reason, setReason] = useState('');
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  // One key per intended credit: a double click or a retry after a timeout posts it once.
  const [key, setKey] = useState(() => crypto.randomUUID());
  const post = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/staff/accounts/{id}/adjustments', {
          params: { path: { id: accountId }, header: { 'idempotency-key': key } },
          body: { amount: { amount: toMinor(Number(amount), currency), currency }, reason: reason.trim() },
        }),
      ),
    onSuccess: (a) => {
      setKey(crypto.randomUUID());
      setOutcome({ ok: true, text: t(`customers.adjustment.${a.status}`) });
      setAmount('');
      setReason('');
      void queryClient.invalidateQueries({ queryKey: ['customer', accountId] });
    },
    onError: (e) => setOutcome({ ok: false, text: isApiError(e) ? e.message : t('app.loadError') }),
  });
  return (
    <Stack gap="xs">
      <Group align="flex-end" wrap="wrap">
        <NumberInput
          label={t('customers.adjustment.amount')}
          min={0.01}
          decimalScale={2}
          value={amount}
          onChange={setAmount}
          w={140}
          data-testid="adjust-amount"
        />
        <TextInput
          label={t('customers.adjustment.reason')}
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          style={{ flex: 1, minWidth: 200 }}
          data-testid="adjust-reason"
        />
        <Button
          onClick={() => post.mutate()}
          loading={post.isPending}
          disabled={!(Number(amount) > 0) || reason.trim().length < 3}
          data-testid="adjust-submit"
        >
          {t('customers.adjustment.post')}
        </Button>
      </Group>
      {outcome && <Alert color={outcome.ok ? 'green' : 'red'}>{outcome.text}</Alert>}
    </Stack>
  );
}

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
  const queryClient = useQueryClient();
  const [amount, setAmount] = useState<number | string>('');
  const [reason, setReason] = useState('');
  const [of, setOf] = useState<'balance' | 'arrears'>('balance');
  const [outcome, setOutcome] = useState<{ color: string; text: string } | null>(null);
  // One key per intended write-off: a double click or a retry after a timeout debits once.
  const [key, setKey] = useState(() => crypto.randomUUID());
  const target = closing ? of : 'balance';
  const post = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/staff/accounts/{id}/write-offs', {
          params: { path: { id: accountId }, header: { 'idempotency-key': key } },
          body: {
            amount: { amount: toMinor(Number(amount), currency), currency },
            reason: reason.trim(),
            of: target,
          },
        }),
      ),
    onSuccess: (w) => {
      setKey(crypto.randomUUID());
      const color = w.status === 'posted' ? 'green' : w.status === 'pending_approval' ? 'yellow' : 'red';
      setOutcome({ color, text: t(`customers.writeOff.${w.kind}.${w.status}`) });
      setAmount('');
      setReason('');
      void queryClient.invalidateQueries({ queryKey: ['customer', accountId] });
    },
    onError: (e) => setOutcome({ color: 'red', text: isApiError(e) ? e.message : t('app.loadError') }),
  });
  return (
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
      <Group align="flex-end" wrap="wrap">
        <NumberInput
          label={t('customers.adjustment.amount')}
          min={0.01}
          decimalScale={2}
          value={amount}
          onChange={setAmount}
          w={140}
          data-testid="write-off-amount"
        />
        <TextInput
          label={t('customers.writeOff.reason')}
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          style={{ flex: 1, minWidth: 200 }}
          data-testid="write-off-reason"
        />
        <Button
          color="red"
          variant="light"
          onClick={() => post.mutate()}
          loading={post.isPending}
          disabled={!(Number(amount) > 0) || reason.trim().length < 3}
          data-testid="write-off-submit"
        >
          {t(target === 'arrears' ? 'customers.writeOff.postArrears' : 'customers.writeOff.post')}
        </Button>
      </Group>
      {outcome && (
        <Alert color={outcome.color} role="status" data-testid="write-off-outcome">
          {outcome.text}
        </Alert>
      )}
    </Stack>
  );
}
