import { Alert, Button, Card, Group, NumberInput, Stack, Switch, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, isApiError, unwrap } from '../../../api/client.js';

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
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const policies = useQuery({ queryKey: ['policies'], queryFn: loadPolicies });
  const [draft, setDraft] = useState<Policies | null>(null);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  useEffect(() => {
    if (policies.data) setDraft(policies.data);
  }, [policies.data]);
  const save = useMutation({
    mutationFn: (patch: Partial<Policies>) => unwrap(api.PATCH('/api/v1/staff/policies', { body: patch })),
    onSuccess: (data) => {
      queryClient.setQueryData(['policies'], data);
      setOutcome({ ok: true, text: t('policies.saved') });
    },
    onError: (e) => setOutcome({ ok: false, text: isApiError(e) ? e.message : t('app.loadError') }),
  });
  const admin = role === 'admin';
  if (!draft) return null;
  const changed = Object.fromEntries(
    Object.entries(draft).filter(([k, v]) => policies.data?.[k as keyof Policies] !== v),
  ) as Partial<Policies>;
  function submit(event: FormEvent) {
    event.preventDefault();
    setOutcome(null);
    save.mutate(changed);
  }
  return (
    <Card withBorder radius="md" padding="lg" component="form" onSubmit={submit}>
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
            value={draft[key]}
            onChange={(v) => setDraft({ ...draft, [key]: typeof v === 'number' ? v : Number(v) })}
            readOnly={!admin}
            data-testid={`policy-${key}`}
          />
        ))}
        <Switch
          label={t('policies.autoApprove.label')}
          description={t('policies.autoApprove.help')}
          checked={draft.autoApprove}
          onChange={(e) => setDraft({ ...draft, autoApprove: e.currentTarget.checked })}
          disabled={!admin}
          data-testid="policy-autoApprove"
        />
        <TextInput
          label={t('policies.operatorCountry.label')}
          description={t('policies.operatorCountry.help')}
          value={draft.operatorCountry}
          maxLength={2}
          onChange={(e) => setDraft({ ...draft, operatorCountry: e.currentTarget.value.toUpperCase() })}
          readOnly={!admin}
          data-testid="policy-operatorCountry"
        />
        <TextInput
          label={t('policies.operatorTimeZone.label')}
          description={t('policies.operatorTimeZone.help')}
          value={draft.operatorTimeZone}
          onChange={(e) => setDraft({ ...draft, operatorTimeZone: e.currentTarget.value })}
          readOnly={!admin}
          data-testid="policy-operatorTimeZone"
        />
        {outcome && <Alert color={outcome.ok ? 'green' : 'red'}>{outcome.text}</Alert>}
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
