import { Button, Card, Select, Stack, Textarea } from '@mantine/core';
import { type UseFormReturnType, useForm } from '@mantine/form';
import { useTranslation } from 'react-i18next';

const REASONS = ['no_longer_needed', 'cost', 'lost_or_stolen', 'switching_operator', 'other'] as const;
type ReasonCode = (typeof REASONS)[number];

export interface CloseValues {
  reasonCode: ReasonCode | null;
  reason: string;
}

export type CloseForm = UseFormReturnType<CloseValues>;

export const CLOSE_FIELDS = ['reasonCode', 'reason'] as const;

export function useCloseForm(): CloseForm {
  return useForm<CloseValues>({ initialValues: { reasonCode: null, reason: '' } });
}

/** The request's body: only what the subscriber chose to say (both are optional). */
export function closeRequestBody({ reasonCode, reason }: CloseValues) {
  return { ...(reasonCode ? { reasonCode } : {}), ...(reason.trim() ? { reason: reason.trim() } : {}) };
}

/** Why (optional, a choice and free text), and the button that leads to the final confirmation. */
export function ApplyForm({
  form,
  blocked,
  onStart,
}: {
  form: CloseForm;
  blocked: boolean;
  onStart: () => void;
}) {
  const { t } = useTranslation();
  return (
    <Card withBorder radius="md" padding="lg">
      <Stack gap="sm">
        <Select
          label={t('close.reason')}
          placeholder={t('close.optional')}
          clearable
          data={REASONS.map((r) => ({ value: r, label: t(`close.reasons.${r}`) }))}
          {...form.getInputProps('reasonCode')}
          data-testid="reason-code"
        />
        <Textarea
          label={t('close.reasonText')}
          placeholder={t('close.optional')}
          maxLength={2000}
          {...form.getInputProps('reason')}
          data-testid="reason-text"
        />
        <Button color="red" disabled={blocked} onClick={onStart} data-testid="close-start">
          {t('close.submit')}
        </Button>
      </Stack>
    </Card>
  );
}
