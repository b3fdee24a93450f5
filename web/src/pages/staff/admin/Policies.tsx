import { Alert, Button, Card, Group, NumberInput, Stack, Switch, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../../api/client.js';
import { useApiMutation } from '../../../api/mutation.js';
import { staffKeys } from '../keys.js';

type Policies = Awaited<ReturnType<typeof loadPolicies>>;
const loadPolicies = () => unwrap(api.GET('/api/v1/staff/policies'));
const NUMERIC = [
  ['reviewDays', 1, 3],
  ['quarantineDays', 0, 3650],
  ['retentionDays', 1, 3650],
  ['usageRetentionMonths', 3, 120],
  ['maxProfilesPerLine', 1, 20],
  ['topupMaxMinor', 1, 1_000_000_000],
  ['topupDailyMaxMinor', 1, 10_000_000_000],
  ['adjustmentApprovalMinor', 0, 1_000_000_000],
  ['usageMaxBytesPerRecord', 1_048_576, 10_995_116_277_760],
  ['usageHoldAboveMinor', 1, 10_000_000_000],
  ['exportsPerDay', 1, 100],
  ['ticketsPerDay', 1, 1000],
] as const;

/** The policies in force; admins change them here (audited, in force at once). */
export function PoliciesPage({ role }: { role: string }) {
  const policies = useQuery({ queryKey: staffKeys.policies, queryFn: loadPolicies });
  if (!policies.data) return null;
  return <PoliciesForm saved={policies.data} admin={role === 'admin'} />;
}

/** Every policy as a field, read-only but for admins; saving sends only what changed. */
function PoliciesForm({ saved, admin }: { saved: Policies; admin: boolean }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const form = useForm<Policies>({ initialValues: saved });
  const save = useApiMutation(
    (patch: Partial<Policies>) => unwrap(api.PATCH('/api/v1/staff/policies', { body: patch })),
    {
      onSuccess: (data) => {
        queryClient.setQueryData(staffKeys.policies, data);
        form.setValues(data);
      },
      form,
    },
  );
  const changed = Object.fromEntries(
    Object.entries(form.values).filter(([k, v]) => saved[k as keyof Policies] !== v),
  ) as Partial<Policies>;
  return (
    <Card
      withBorder
      radius="md"
      padding="lg"
      component="form"
      onSubmit={form.onSubmit(() => save.mutate(changed))}
    >
      <Stack gap="sm">
        <Title order={3} size="h4">
          {t('policies.title')}
        </Title>
        {!admin && <Alert variant="light">{t('policies.readOnly')}</Alert>}
        {NUMERIC.map(([key, min, max]) => (
          <NumberInput
            key={key}
            label={t(`policies.${key}.label`)}
            description={t(`policies.${key}.help`)}
            min={min}
            max={max}
            allowDecimal={false}
            {...form.getInputProps(key)}
            onChange={(v) => form.setFieldValue(key, typeof v === 'number' ? v : Number(v))}
            readOnly={!admin}
            data-testid={`policy-${key}`}
          />
        ))}
        <Switch
          label={t('policies.autoApprove.label')}
          description={t('policies.autoApprove.help')}
          {...form.getInputProps('autoApprove', { type: 'checkbox' })}
          disabled={!admin}
          data-testid="policy-autoApprove"
        />
        <TextInput
          label={t('policies.operatorCountry.label')}
          description={t('policies.operatorCountry.help')}
          maxLength={2}
          {...form.getInputProps('operatorCountry')}
          onChange={(e) => form.setFieldValue('operatorCountry', e.currentTarget.value.toUpperCase())}
          readOnly={!admin}
          data-testid="policy-operatorCountry"
        />
        <TextInput
          label={t('policies.operatorTimeZone.label')}
          description={t('policies.operatorTimeZone.help')}
          {...form.getInputProps('operatorTimeZone')}
          readOnly={!admin}
          data-testid="policy-operatorTimeZone"
        />
        {save.isSuccess && <Alert color="green">{t('policies.saved')}</Alert>}
        {save.errorMessage && <Alert color="red">{save.errorMessage}</Alert>}
        {admin && (
          <Group>
            <Button
              type="submit"
              loading={save.isPending}
              disabled={Object.keys(changed).length === 0}
              data-testid="policies-save"
            >
              {t('policies.save')}
            </Button>
          </Group>
        )}
      </Stack>
    </Card>
  );
}
