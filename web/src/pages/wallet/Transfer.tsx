import { Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client.js';
import { useMeta } from '../../api/meta.js';
import { alertMessageOf, formErrorsOf, useApiMutation } from '../../api/mutation.js';
import { formatMoney, toMinor } from '../../format.js';
import { AmountInput, Outcome, useMoneyAction } from './MoneyAction.js';

interface TransferValues {
  to: string;
  amount: number | string;
}

const FIELDS = ['to', 'amount'] as const;

/** Sends part of the balance to another subscriber: the recipient is checked, then the transfer confirmed. */
export function Transfer({ currency }: { currency: string }) {
  const { t, i18n } = useTranslation();
  const meta = useMeta();
  const form = useForm<TransferValues>({ initialValues: { to: '', amount: '' } });
  const [confirm, setConfirm] = useState<string | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const values = form.getValues();
  const money = { amount: toMinor(Number(values.amount), currency), currency };
  const check = useApiMutation(
    (to: string) => unwrap(api.GET('/api/v1/me/transfers/recipient', { params: { query: { to } } })),
    {
      // The check says only whether the money can go there, never why not (nobody learns who is a customer).
      onSuccess: (who) =>
        who.canReceive
          ? setConfirm(who.display)
          : setRefusal(t('wallet.cannotReceive', { to: who.display, brand: meta.data?.brandName ?? '' })),
      onError: (e) => form.setErrors(formErrorsOf(e, FIELDS)),
    },
  );
  const send = useMoneyAction(
    async ({ to, amount }: TransferValues, key) => {
      const sent = { amount: toMinor(Number(amount), currency), currency };
      await unwrap(
        api.POST('/api/v1/me/transfers', {
          body: { to, amount: sent },
          params: { header: { 'idempotency-key': key } },
        }),
      );
      return t('wallet.transferDone', { amount: formatMoney(sent, i18n.language), to: confirm });
    },
    { form, fields: FIELDS, onSuccess: () => form.reset() },
  );
  function review({ to }: TransferValues) {
    setRefusal(null);
    send.reset();
    check.mutate(to);
  }
  return (
    <form onSubmit={form.onSubmit(review)}>
      <Stack gap="sm">
        <TextInput
          label={t('wallet.recipient')}
          description={t('wallet.recipientHint')}
          {...form.getInputProps('to')}
          required
          data-testid="transfer-to"
        />
        <AmountInput input={form.getInputProps('amount')} testId="transfer-amount" />
        <Button type="submit" data-testid="transfer-review">
          {t('wallet.transferReview')}
        </Button>
        <Outcome ok={send.ok} error={refusal ?? alertMessageOf(check, FIELDS) ?? send.alertMessage} />
      </Stack>
      <Modal
        opened={confirm !== null}
        onClose={() => setConfirm(null)}
        title={t('wallet.confirmTitle')}
        centered
      >
        <Stack>
          <Text data-testid="transfer-confirm-text">
            {t('wallet.confirmText', { amount: formatMoney(money, i18n.language), to: confirm })}
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirm(null)}>
              {t('wallet.cancel')}
            </Button>
            <Button
              onClick={() => send.mutate(values, { onSettled: () => setConfirm(null) })}
              loading={send.isPending}
              data-testid="transfer-confirm"
            >
              {t('wallet.confirmSend')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </form>
  );
}
