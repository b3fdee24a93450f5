import {
  Alert,
  Badge,
  Button,
  Card,
  Code,
  Group,
  NumberInput,
  SegmentedControl,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { api, isApiError, unwrap } from '../../api/client.js';
import { formatDateTime } from '../../format.js';
import { actionLabel } from './labels.js';

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

const ROLES = ['agent', 'reviewer', 'admin'] as const;
type StaffRole = (typeof ROLES)[number];

export function MembersPage({ myId }: { myId: string }) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const members = useQuery({
    queryKey: ['members'],
    queryFn: () => unwrap(api.GET('/api/v1/staff/members')),
  });
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<StaffRole>('agent');
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const onError = (e: unknown) =>
    setOutcome({ ok: false, text: isApiError(e) ? e.message : t('app.loadError') });
  const invite = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/staff/members', { body: { email: email.trim(), role } })),
    onSuccess: () => {
      setEmail('');
      setOutcome({ ok: true, text: t('members.invited') });
      void queryClient.invalidateQueries({ queryKey: ['members'] });
    },
    onError,
  });
  const update = useMutation({
    mutationFn: (input: { id: string; role?: StaffRole; disabled?: boolean }) =>
      unwrap(
        api.PATCH('/api/v1/staff/members/{id}', {
          params: { path: { id: input.id } },
          body: { role: input.role, disabled: input.disabled },
        }),
      ),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['members'] }),
    onError,
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    setOutcome(null);
    invite.mutate();
  }
  return (
    <Stack gap="md">
      <Card withBorder radius="md" padding="lg" component="form" onSubmit={submit}>
        <Title order={3} size="h4" mb="sm">
          {t('members.invite')}
        </Title>
        <Group align="flex-end" wrap="wrap">
          <TextInput
            label={t('members.email')}
            type="email"
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            style={{ flex: 1, minWidth: 220 }}
            data-testid="member-email"
          />
          <Select
            label={t('members.role')}
            value={role}
            allowDeselect={false}
            onChange={(v) => v && setRole(v as StaffRole)}
            data={ROLES.map((r) => ({ value: r, label: t(`staff.role.${r}`) }))}
            w={180}
          />
          <Button
            type="submit"
            loading={invite.isPending}
            disabled={!email.includes('@')}
            data-testid="member-invite"
          >
            {t('members.send')}
          </Button>
        </Group>
        {outcome && (
          <Alert color={outcome.ok ? 'green' : 'red'} mt="sm">
            {outcome.text}
          </Alert>
        )}
      </Card>
      <Card withBorder radius="md" padding="lg">
        <Table.ScrollContainer minWidth={560}>
          <Table striped data-testid="members-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('members.email')}</Table.Th>
                <Table.Th>{t('members.role')}</Table.Th>
                <Table.Th>{t('members.since')}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {members.data?.items.map((m) => (
                <Table.Tr key={m.id} opacity={m.disabled ? 0.55 : 1}>
                  <Table.Td>
                    {m.email} {m.disabled && <Badge color="gray">{t('members.disabled')}</Badge>}
                  </Table.Td>
                  <Table.Td>
                    <Select
                      size="xs"
                      aria-label={t('members.role')}
                      value={m.role}
                      allowDeselect={false}
                      disabled={m.id === myId}
                      onChange={(v) => v && update.mutate({ id: m.id, role: v as StaffRole })}
                      data={ROLES.map((r) => ({ value: r, label: t(`staff.role.${r}`) }))}
                      w={170}
                    />
                  </Table.Td>
                  <Table.Td>{formatDateTime(m.createdAt, i18n.language)}</Table.Td>
                  <Table.Td>
                    {m.id !== myId && (
                      <Button
                        size="compact-xs"
                        variant="subtle"
                        color={m.disabled ? 'blue' : 'red'}
                        onClick={() => update.mutate({ id: m.id, disabled: !m.disabled })}
                      >
                        {m.disabled ? t('members.enable') : t('members.disable')}
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Card>
    </Stack>
  );
}

const JOB_VIEWS = ['dead', 'retrying', 'queued', 'running', 'succeeded', 'cancelled'] as const;
type JobView = (typeof JOB_VIEWS)[number];

export function JobsPage() {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const [view, setView] = useState<JobView>('dead');
  const jobs = useQuery({
    queryKey: ['jobs', view],
    queryFn: () => unwrap(api.GET('/api/v1/staff/jobs', { params: { query: { status: view, limit: 100 } } })),
    refetchInterval: 10_000,
  });
  const act = useMutation({
    mutationFn: ({ id, action }: { id: string; action: 'retry' | 'cancel' }) =>
      action === 'retry'
        ? unwrap(api.POST('/api/v1/staff/jobs/{id}/retry', { params: { path: { id } } }))
        : unwrap(api.POST('/api/v1/staff/jobs/{id}/cancel', { params: { path: { id } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['jobs'] }),
  });
  const counts = jobs.data?.counts;
  return (
    <Card withBorder radius="md" padding="lg">
      <Stack gap="sm">
        <Title order={3} size="h4">
          {t('jobs.title')}
        </Title>
        <SegmentedControl
          size="xs"
          value={view}
          onChange={(v) => setView(v as JobView)}
          data={JOB_VIEWS.map((v) => ({
            value: v,
            label: `${t(`jobs.status.${v}`)}${counts ? ` (${counts[v]})` : ''}`,
          }))}
          data-testid="job-views"
        />
        <Table.ScrollContainer minWidth={720}>
          <Table striped data-testid="jobs-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('jobs.kind')}</Table.Th>
                <Table.Th>{t('jobs.attempts')}</Table.Th>
                <Table.Th>{t('jobs.runAt')}</Table.Th>
                <Table.Th>{t('jobs.error')}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {jobs.data?.items.map((j) => (
                <Table.Tr key={j.id}>
                  <Table.Td>
                    <Code>{j.kind}</Code>
                  </Table.Td>
                  <Table.Td>
                    {j.attempts}/{j.maxAttempts}
                  </Table.Td>
                  <Table.Td>{formatDateTime(j.runAt, i18n.language)}</Table.Td>
                  <Table.Td>
                    <Text size="xs" c="red" lineClamp={2}>
                      {j.lastError}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      {(j.status === 'dead' || j.status === 'queued') && (
                        <Button size="compact-xs" onClick={() => act.mutate({ id: j.id, action: 'retry' })}>
                          {t('jobs.retry')}
                        </Button>
                      )}
                      {j.status === 'queued' && (
                        <Button
                          size="compact-xs"
                          variant="subtle"
                          color="red"
                          onClick={() => act.mutate({ id: j.id, action: 'cancel' })}
                        >
                          {t('jobs.cancel')}
                        </Button>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        {jobs.data?.items.length === 0 && <Text c="dimmed">{t('jobs.none')}</Text>}
      </Stack>
    </Card>
  );
}

export function AuditPage() {
  const { t, i18n } = useTranslation();
  const [params, setParams] = useSearchParams();
  const filter = {
    action: params.get('action') || undefined,
    actor: params.get('actor') || undefined,
    account: params.get('account') || undefined,
  };
  const [draft, setDraft] = useState({
    action: filter.action ?? '',
    actor: filter.actor ?? '',
    account: filter.account ?? '',
  });
  const audit = useQuery({
    queryKey: ['audit', filter],
    queryFn: () => unwrap(api.GET('/api/v1/staff/audit', { params: { query: { ...filter, limit: 100 } } })),
  });
  function apply(event: FormEvent) {
    event.preventDefault();
    setParams(Object.fromEntries(Object.entries(draft).filter(([, v]) => v.trim())));
  }
  return (
    <Card withBorder radius="md" padding="lg">
      <Title order={3} size="h4" mb="md">
        {t('staff.audit')}
      </Title>
      <Group component="form" onSubmit={apply} align="flex-end" mb="md" wrap="wrap">
        <TextInput
          label={t('staff.action')}
          placeholder="cancellation."
          value={draft.action}
          onChange={(e) => setDraft({ ...draft, action: e.currentTarget.value })}
        />
        <TextInput
          label={t('staff.actor')}
          placeholder={t('staff.actorPlaceholder')}
          value={draft.actor}
          onChange={(e) => setDraft({ ...draft, actor: e.currentTarget.value })}
        />
        <TextInput
          label={t('staff.account')}
          placeholder="acc_…"
          value={draft.account}
          onChange={(e) => setDraft({ ...draft, account: e.currentTarget.value })}
        />
        <Button type="submit" variant="light">
          {t('staff.filter')}
        </Button>
      </Group>
      {audit.isError && <Alert color="red">{t('app.loadError')}</Alert>}
      <Table.ScrollContainer minWidth={640}>
        <Table striped highlightOnHover data-testid="audit-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('staff.when')}</Table.Th>
              <Table.Th>{t('staff.actor')}</Table.Th>
              <Table.Th>{t('staff.action')}</Table.Th>
              <Table.Th>{t('staff.subject')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {audit.data?.items.map((row) => (
              <Table.Tr key={row.id}>
                <Table.Td>{formatDateTime(row.createdAt, i18n.language)}</Table.Td>
                <Table.Td>
                  <Text size="sm">{row.actor.email ?? t(`staff.actorType.${row.actor.type}`)}</Text>
                  {row.actor.id && !row.actor.email && <Code fz="xs">{row.actor.id}</Code>}
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{actionLabel(row.action, t)}</Text>
                  <Code fz="xs">{row.action}</Code>
                </Table.Td>
                <Table.Td>
                  <Code fz="xs">{row.subject.id}</Code>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Card>
  );
}
