import { Alert, Button, Checkbox, Group, List, Modal, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { daysLeft, useLines } from '../../api/subscriber.js';

/** The plain last word before the request: what will be lost, ticked as understood, then confirmed. */
export function FinalConfirmation({
  opened,
  onClose,
  onConfirm,
  pending,
  error,
}: {
  opened: boolean;
  onClose: () => void;
  onConfirm: () => void;
  pending: boolean;
  error: string | null;
}) {
  const { t } = useTranslation();
  const [understood, setUnderstood] = useState(false);
  return (
    <Modal opened={opened} onClose={onClose} title={t('close.confirmTitle')} centered>
      <Stack>
        <Text size="sm">{t('close.confirmText')}</Text>
        <WhatWillBeLost />
        <Checkbox
          checked={understood}
          onChange={(e) => setUnderstood(e.currentTarget.checked)}
          label={t('close.understand')}
          data-testid="close-understand"
        />
        {error && <Alert color="red">{error}</Alert>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('wallet.cancel')}
          </Button>
          <Button
            color="red"
            disabled={!understood}
            loading={pending}
            onClick={onConfirm}
            data-testid="close-confirm"
          >
            {t('close.confirm')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** The final confirmation's list: every line's number and what is left on it (data, days), all lost. */
function WhatWillBeLost() {
  const { t } = useTranslation();
  const lines = useLines();
  const live = (lines.data?.items ?? []).filter((l) => ['active', 'pending', 'suspended'].includes(l.status));
  const gb = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  return (
    <Stack gap={4} data-testid="what-will-be-lost">
      <Text size="sm" fw={600}>
        {t('closeLoop.lostTitle')}
      </Text>
      <List size="sm" spacing={2}>
        {live.map((l) => {
          const left = l.allowances.dataBytes ?? l.allowances.total.dataBytes;
          const days = daysLeft(l.expiresAt);
          return (
            <List.Item key={l.id} data-testid="lost-line">
              {t('closeLoop.lostLine', {
                plan: l.planName,
                msisdn: l.msisdn,
                data: gb(left),
                days: days === null ? t('closeLoop.notStarted') : t('homeMe.daysLeft', { count: days }),
              })}
            </List.Item>
          );
        })}
        <List.Item>{t('closeLoop.lostNumbers')}</List.Item>
        <List.Item>{t('closeLoop.lostSignIn')}</List.Item>
      </List>
    </Stack>
  );
}
