import { Alert, Badge, Code, Group, SegmentedControl, Table, Text, TextInput } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client.js';
import { useApiMutation } from '../../api/mutation.js';
import { formatDateTime, formatMoney } from '../../format.js';
import { staffKeys } from './keys.js';
import { countryName } from './labels.js';
import { StaffCard } from './StaffCard.js';
import { RowActions, StaffTable } from './StaffTable.js';

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
  const [view, setView] = useState<View>('held');
  const [notes, setNotes] = useState<Record<string, string>>({});
  const holds = useQuery({
    queryKey: staffKeys.heldUsage.view(view),
    queryFn: () =>
      unwrap(api.GET('/api/v1/staff/usage/holds', { params: { query: { status: view, limit: 100 } } })),
  });
  const decide = useApiMutation(
    ({ id, decision }: { id: string; decision: 'approve' | 'reject' }) =>
      unwrap(
        api.POST('/api/v1/staff/usage/holds/{id}/decision', {
          params: { path: { id } },
          body: { decision, ...(notes[id]?.trim() ? { note: notes[id]!.trim() } : {}) },
        }),
      ),
    { invalidates: [staffKeys.heldUsage.all] },
  );
  return (
    <StaffCard title={t('heldUsage.title')}>
      <Text size="sm" c="dimmed">
        {t('heldUsage.explain', { policy: t('policies.usageHoldAboveMinor.label') })}
      </Text>
      <SegmentedControl
        size="xs"
        value={view}
        onChange={(v) => {
          setView(v as View);
          decide.reset();
        }}
        data={VIEWS.map((v) => ({ value: v, label: t(`heldUsage.status.${v}`) }))}
        data-testid="held-usage-views"
      />
      {decide.isSuccess && <Alert color="green">{t(`heldUsage.done.${decide.data.status}`)}</Alert>}
      {decide.errorMessage && <Alert color="red">{decide.errorMessage}</Alert>}
      <StaffTable
        heads={[
          t('heldUsage.startedAt'),
          t('heldUsage.customer'),
          t('heldUsage.record'),
          t('heldUsage.quoted'),
          view === 'held' ? t('heldUsage.note') : t('heldUsage.decision'),
          null,
        ]}
        minWidth={860}
        testId="held-usage-table"
        empty={holds.data?.items.length === 0 && t('heldUsage.none')}
      >
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
                <RowActions
                  go={{
                    label: t('heldUsage.approve'),
                    onClick: () => decide.mutate({ id: h.id, decision: 'approve' }),
                    loading: decide.isPending && decide.variables?.id === h.id,
                    testId: `held-usage-approve-${h.id}`,
                  }}
                  stop={{
                    label: t('heldUsage.reject'),
                    onClick: () => decide.mutate({ id: h.id, decision: 'reject' }),
                    testId: `held-usage-reject-${h.id}`,
                  }}
                />
              )}
            </Table.Td>
          </Table.Tr>
        ))}
      </StaffTable>
    </StaffCard>
  );
}
