import {
  Alert,
  Badge,
  Button,
  Card,
  Code,
  Group,
  SegmentedControl,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, isApiError, unwrap } from '../../api/client.js';
import { formatDateTime, formatMoney } from '../../format.js';
import { countryName } from './labels.js';

const VIEWS = ['held', 'approved', 'rejected'] as const;
type View = (typeof VIEWS)[number];

/** How much of the service the record says was used, in the unit staff judge it by. */
function usedOf(h: { type: string; durationSeconds: number | null; bytes: number | null }) {
  if (h.type === 'voice') return { minutes: Math.ceil((h.durationSeconds ?? 0) / 60) };
  if (h.type === 'data') return { mb: Math.round((h.bytes ?? 0) / 1024 ** 2) };
  return {};
}

/** Usage records whose charge is above the policy's ceiling: an admin approves (posts once) or rejects each. */
export function HeldUsagePage() {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const [view, setView] = useState<View>('held');
  const [notes, setNotes] = useState<Record<string, string>>({});
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const holds = useQuery({
    queryKey: ['usage-holds', view],
    queryFn: () =>
      unwrap(api.GET('/api/v1/staff/usage/holds', { params: { query: { status: view, limit: 100 } } })),
  });
  const decide = useMutation({
    mutationFn: ({ id, decision }: { id: string; decision: 'approve' | 'reject' }) =>
      unwrap(
        api.POST('/api/v1/staff/usage/holds/{id}/decision', {
          params: { path: { id } },
          body: { decision, ...(notes[id]?.trim() ? { note: notes[id]!.trim() } : {}) },
        }),
      ),
    onSuccess: (hold) => {
      setOutcome({ ok: true, text: t(`heldUsage.done.${hold.status}`) });
      void queryClient.invalidateQueries({ queryKey: ['usage-holds'] });
    },
    onError: (e) => setOutcome({ ok: false, text: isApiError(e) ? e.message : t('app.loadError') }),
  });
  return (
    <Card withBorder radius="md" padding="lg">
      <Stack gap="sm">
        <Title order={3} size="h4">
          {t('heldUsage.title')}
        </Title>
        <Text size="sm" c="dimmed">
          {t('heldUsage.explain', { policy: t('policies.usageHoldAboveMinor.label') })}
        </Text>
        <SegmentedControl
          size="xs"
          value={view}
          onChange={(v) => {
            setView(v as View);
            setOutcome(null);
          }}
          data={VIEWS.map((v) => ({ value: v, label: t(`heldUsage.status.${v}`) }))}
          data-testid="held-usage-views"
        />
        {outcome && <Alert color={outcome.ok ? 'green' : 'red'}>{outcome.text}</Alert>}
        <Table.ScrollContainer minWidth={860}>
          <Table striped data-testid="held-usage-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('heldUsage.startedAt')}</Table.Th>
                <Table.Th>{t('heldUsage.customer')}</Table.Th>
                <Table.Th>{t('heldUsage.record')}</Table.Th>
                <Table.Th>{t('heldUsage.quoted')}</Table.Th>
                <Table.Th>{view === 'held' ? t('heldUsage.note') : t('heldUsage.decision')}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {holds.data?.items.map((h) => (
                <Table.Tr key={h.id} data-testid={`held-usage-${h.id}`}>
                  <Table.Td>{formatDateTime(h.startedAt, i18n.language)}</Table.Td>
                  <Table.Td>
                    <Link to={`/staff/customers/${h.accountId}`}>
                      <Code>{h.accountId}</Code>
                    </Link>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={6} wrap="nowrap">
                      <Badge variant="light" style={{ flexShrink: 0, overflow: 'visible' }}>
                        {t(`heldUsage.type.${h.type}`)}
                      </Badge>
                      <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
                        {t(`heldUsage.used.${h.type}`, usedOf(h))}
                      </Text>
                      <Text size="sm" c="dimmed">
                        {countryName(h.country, i18n.language)}
                      </Text>
                    </Group>
                    <Text size="xs" c="dimmed">
                      {h.recordId}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text fw={600}>{formatMoney(h.quotedCharge, i18n.language)}</Text>
                    {h.charge && (
                      <Text size="xs" c="dimmed">
                        {t('heldUsage.posted', { amount: formatMoney(h.charge, i18n.language) })}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    {h.status === 'held' ? (
                      <TextInput
                        size="xs"
                        maxLength={500}
                        placeholder={t('heldUsage.notePlaceholder')}
                        value={notes[h.id] ?? ''}
                        onChange={(e) => setNotes({ ...notes, [h.id]: e.currentTarget.value })}
                      />
                    ) : (
                      <Text size="xs">
                        {h.decidedAt && formatDateTime(h.decidedAt, i18n.language)} {h.note}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    {h.status === 'held' && (
                      <Group gap={4} wrap="nowrap">
                        <Button
                          size="compact-xs"
                          loading={decide.isPending && decide.variables?.id === h.id}
                          onClick={() => decide.mutate({ id: h.id, decision: 'approve' })}
                          data-testid={`held-usage-approve-${h.id}`}
                        >
                          {t('heldUsage.approve')}
                        </Button>
                        <Button
                          size="compact-xs"
                          variant="subtle"
                          color="red"
                          onClick={() => decide.mutate({ id: h.id, decision: 'reject' })}
                          data-testid={`held-usage-reject-${h.id}`}
                        >
                          {t('heldUsage.reject')}
                        </Button>
                      </Group>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        {holds.data?.items.length === 0 && <Text c="dimmed">{t('heldUsage.none')}</Text>}
      </Stack>
    </Card>
  );
}
