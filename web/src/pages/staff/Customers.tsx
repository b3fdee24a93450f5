import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Code,
  Group,
  NumberInput,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Timeline,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, isApiError, unwrap } from '../../api/client.js';
import { deviceName } from '../../device-name.js';
import { formatDateTime, formatMoney, type Money, toMinor } from '../../format.js';
import { statementWhat } from '../../statement-what.js';
import { STATUS_COLOR } from '../Help.js';
import { actionLabel } from './labels.js';

export function CustomerSearch() {
  const { t, i18n } = useTranslation();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const [draft, setDraft] = useState(q);
  const results = useQuery({
    queryKey: ['customer-search', q],
    enabled: q.trim().length >= 3,
    queryFn: () => unwrap(api.GET('/api/v1/staff/accounts', { params: { query: { q } } })),
  });
  function search(event: FormEvent) {
    event.preventDefault();
    setParams({ q: draft.trim() });
  }
  return (
    <Card withBorder radius="md" padding="lg">
      <Stack gap="sm">
        <Title order={3} size="h4">
          {t('customers.title')}
        </Title>
        <Group component="form" onSubmit={search} align="flex-end" wrap="nowrap">
          <TextInput
            style={{ flex: 1 }}
            label={t('customers.search')}
            description={t('customers.searchHint')}
            value={draft}
            onChange={(e) => setDraft(e.currentTarget.value)}
            data-testid="customer-search"
          />
          <Button type="submit" disabled={draft.trim().length < 3} data-testid="customer-search-go">
            {t('customers.find')}
          </Button>
        </Group>
        {results.data?.items.length === 0 && <Text c="dimmed">{t('customers.none')}</Text>}
        {results.data && results.data.items.length > 0 && (
          <Table striped highlightOnHover data-testid="customer-results">
            <Table.Tbody>
              {results.data.items.map((c) => (
                <Table.Tr key={c.id}>
                  <Table.Td>
                    <Anchor
                      component={Link}
                      to={`/staff/customers/${c.id}`}
                      fw={500}
                      data-testid="customer-result"
                    >
                      {c.email ?? c.phone ?? c.id}
                    </Anchor>
                    <Text size="xs" c="dimmed">
                      {c.id} · {t('customers.matchedBy', { how: t(`customers.matchedHow.${c.matchedBy}`) })}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="light">{t(`customers.status.${c.status}`)}</Badge>
                  </Table.Td>
                  <Table.Td>{formatDateTime(c.createdAt, i18n.language)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
    </Card>
  );
}

function Section({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  return (
    <Card withBorder radius="md" padding="lg" data-testid={testId}>
      <Title order={4} mb="sm">
        {title}
      </Title>
      {children}
    </Card>
  );
}

function Adjust({ accountId, currency }: { accountId: string; currency: string }) {
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
function WriteOff({
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

export function Customer360({ role }: { role: string }) {
  const { t, i18n } = useTranslation();
  const { id = '' } = useParams();
  const queryClient = useQueryClient();
  const customer = useQuery({
    queryKey: ['customer', id],
    queryFn: () => unwrap(api.GET('/api/v1/staff/accounts/{id}', { params: { path: { id } } })),
  });
  const [error, setError] = useState<string | null>(null);
  const act = useMutation({
    mutationFn: async (action: 'suspend' | 'resume') =>
      action === 'suspend'
        ? unwrap(api.POST('/api/v1/staff/accounts/{id}/suspend', { params: { path: { id } } }))
        : unwrap(api.POST('/api/v1/staff/accounts/{id}/resume', { params: { path: { id } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['customer', id] }),
    onError: (e) => setError(isApiError(e) ? e.message : t('app.loadError')),
  });
  const resend = useMutation({
    mutationFn: (messageId: string) =>
      unwrap(
        api.POST('/api/v1/staff/accounts/{id}/messages/{messageId}/resend', {
          params: { path: { id, messageId } },
        }),
      ),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['customer', id] }),
    onError: (e) => setError(isApiError(e) ? e.message : t('app.loadError')),
  });
  if (customer.isError) return <Alert color="red">{t('app.loadError')}</Alert>;
  const c = customer.data;
  if (!c) return null;
  const { lines, devices, requests, tickets, usage, statement, messages, audit } = c;
  const agentish = role === 'agent' || role === 'admin';
  const when = (iso: string) => formatDateTime(iso, i18n.language);
  return (
    <Stack gap="md" data-testid="customer-360">
      <Button component={Link} to="/staff/customers" variant="subtle" size="compact-sm" w="fit-content">
        ← {t('customers.title')}
      </Button>
      <Card withBorder radius="md" padding="lg">
        <Group justify="space-between" align="flex-start">
          <div style={{ minWidth: 0, overflowWrap: 'anywhere' }}>
            <Title order={3} data-testid="customer-name">
              {c.email ?? c.phone ?? c.id}
            </Title>
            <Text size="sm" c="dimmed">
              {[c.email, c.phone].filter(Boolean).join(' · ')} · {c.id} ·{' '}
              {t(`languages.${c.locale}`, { defaultValue: c.locale })}
            </Text>
          </div>
          <Badge
            size="lg"
            variant="light"
            color={c.status === 'active' ? 'green' : 'orange'}
            data-testid="customer-status"
          >
            {t(`customers.status.${c.status}`)}
          </Badge>
        </Group>
        <SimpleGrid cols={{ base: 2, sm: 4 }} mt="md">
          <div>
            <Text size="xs" c="dimmed">
              {t('customers.balance')}
            </Text>
            <Text fw={700} data-testid="customer-balance">
              {formatMoney(c.balance, i18n.language)}
            </Text>
          </div>
          <div>
            <Text size="xs" c="dimmed">
              {t('customers.arrears')}
            </Text>
            <Text fw={700} c={c.arrears.amount ? 'red' : undefined}>
              {formatMoney(c.arrears, i18n.language)}
            </Text>
          </div>
          <div>
            <Text size="xs" c="dimmed">
              {t('customers.usage30')}
            </Text>
            <Text size="sm">
              {t('customers.usageLine', {
                mb: Math.round(usage.dataBytes / 1_048_576),
                min: Math.ceil(usage.voiceSeconds / 60),
                sms: usage.smsCount,
              })}
            </Text>
          </div>
          <div>
            <Text size="xs" c="dimmed">
              {t('customers.since')}
            </Text>
            <Text size="sm">{when(c.createdAt)}</Text>
          </div>
        </SimpleGrid>
        {agentish && (
          <Group mt="md" gap="xs">
            {c.status === 'active' && (
              <Button
                color="red"
                variant="light"
                size="compact-sm"
                onClick={() => act.mutate('suspend')}
                data-testid="customer-suspend"
              >
                {t('customers.suspend')}
              </Button>
            )}
            {c.status === 'suspended' && (
              <Button
                variant="light"
                size="compact-sm"
                onClick={() => act.mutate('resume')}
                data-testid="customer-resume"
              >
                {t('customers.resume')}
              </Button>
            )}
          </Group>
        )}
        {error && (
          <Alert color="red" mt="sm">
            {error}
          </Alert>
        )}
      </Card>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Section title={t('customers.lines')}>
          {lines.length === 0 && <Text c="dimmed">—</Text>}
          {lines.map((l) => (
            <Group key={l.id} justify="space-between" py={4}>
              <div>
                <Text fw={500}>{l.msisdn}</Text>
                <Text size="xs" c="dimmed">
                  {l.planName}
                </Text>
              </div>
              <Badge variant="light">{t(`lines.status.${l.status}`)}</Badge>
            </Group>
          ))}
        </Section>
        <Section title={t('customers.devices')}>
          {devices.length === 0 && <Text c="dimmed">—</Text>}
          {devices.map((d) => (
            <div key={d.id}>
              <Text fw={500}>{deviceName(d.name, t)}</Text>
              <Text size="xs" c="dimmed">
                EID <Code>{d.eid}</Code> · ICCID <Code>{d.iccid}</Code>
              </Text>
            </div>
          ))}
        </Section>
        <Section title={t('customers.requests')}>
          {requests.length === 0 && <Text c="dimmed">—</Text>}
          {requests.map((r) => (
            <Stack key={r.id} gap={4} mb="sm">
              <Group gap="xs">
                <Badge variant="light" color={r.overdue ? 'red' : undefined}>
                  {t(`close.status.${r.status}`)}
                </Badge>
                <Text size="xs" c="dimmed">
                  {t('customers.dueBy', { date: when(r.dueBy) })}
                </Text>
              </Group>
              <Timeline bulletSize={10} lineWidth={2}>
                {r.events.map((e) => (
                  <Timeline.Item key={`${e.status}-${e.at}`} title={t(`close.status.${e.status}`)}>
                    <Text size="xs" c="dimmed">
                      {when(e.at)} · {t(`staff.actorType.${e.actor}`)}
                    </Text>
                    {e.note && <Text size="xs">{e.note}</Text>}
                  </Timeline.Item>
                ))}
              </Timeline>
            </Stack>
          ))}
        </Section>
        <Section title={t('customers.tickets')}>
          {tickets.length === 0 && <Text c="dimmed">—</Text>}
          {tickets.map((tk) => (
            <Group key={tk.id} justify="space-between" py={4}>
              <Anchor component={Link} to={`/staff/tickets/${tk.id}`} size="sm">
                {tk.subject}
              </Anchor>
              <Badge color={STATUS_COLOR[tk.status]} variant="light">
                {t(`help.status.${tk.status}`)}
              </Badge>
            </Group>
          ))}
        </Section>
      </SimpleGrid>
      {agentish && (
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <Section title={t('customers.adjustment.title')}>
            <Adjust accountId={c.id} currency={c.balance.currency} />
          </Section>
          <Section title={t('customers.writeOff.title')}>
            <WriteOff
              accountId={c.id}
              currency={c.balance.currency}
              closing={c.status === 'cancellation_pending'}
              arrears={c.arrears}
            />
          </Section>
        </SimpleGrid>
      )}
      <Section title={t('customers.statement')}>
        <Table.ScrollContainer minWidth={480}>
          <Table striped>
            <Table.Tbody>
              {statement.map((s) => (
                <Table.Tr key={s.id}>
                  <Table.Td>{statementWhat(s, t)}</Table.Td>
                  <Table.Td ta="right">{formatMoney(s.amount, i18n.language)}</Table.Td>
                  <Table.Td ta="right">{formatMoney(s.balanceAfter, i18n.language)}</Table.Td>
                  <Table.Td>{when(s.createdAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Section>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Section title={t('customers.messages')}>
          {messages.map((m) => (
            <Group key={m.id} justify="space-between" wrap="nowrap" py={2}>
              <div style={{ minWidth: 0 }}>
                <Text size="sm" truncate>
                  {m.subject ?? t(`customers.template.${m.template}`, { defaultValue: m.template })}
                </Text>
                <Text size="xs" c="dimmed">
                  {t(`customers.channel.${m.channel}`)} · {t(`customers.messageStatus.${m.status}`)} ·{' '}
                  {when(m.createdAt)}
                </Text>
              </div>
              {agentish && !['sign_in_code', 'contact_code'].includes(m.template) && (
                <Button size="compact-xs" variant="subtle" onClick={() => resend.mutate(m.id)}>
                  {t('customers.resend')}
                </Button>
              )}
            </Group>
          ))}
        </Section>
        <Section title={t('staff.audit')}>
          {audit.map((a) => (
            <Text key={a.id} size="xs">
              {actionLabel(a.action, t)} · {a.actor.email ?? t(`staff.actorType.${a.actor.type}`)} ·{' '}
              {when(a.createdAt)}
            </Text>
          ))}
        </Section>
      </SimpleGrid>
    </Stack>
  );
}
