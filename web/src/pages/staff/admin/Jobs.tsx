import { Code, SegmentedControl, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../../api/client.js';
import { useApiMutation } from '../../../api/mutation.js';
import { formatDateTime } from '../../../format.js';
import { staffKeys } from '../keys.js';
import { StaffCard } from '../StaffCard.js';
import { RowActions, StaffTable } from '../StaffTable.js';

const JOB_VIEWS = ['dead', 'retrying', 'queued', 'running', 'succeeded', 'cancelled'] as const;
type JobView = (typeof JOB_VIEWS)[number];

/** The background jobs by state; an admin retries a dead or queued one, or cancels a queued one. */
export function JobsPage() {
  const { t, i18n } = useTranslation();
  const [view, setView] = useState<JobView>('dead');
  const jobs = useQuery({
    queryKey: staffKeys.jobs.view(view),
    queryFn: () => unwrap(api.GET('/api/v1/staff/jobs', { params: { query: { status: view, limit: 100 } } })),
    refetchInterval: 10_000,
  });
  const act = useApiMutation(
    ({ id, action }: { id: string; action: 'retry' | 'cancel' }) =>
      action === 'retry'
        ? unwrap(api.POST('/api/v1/staff/jobs/{id}/retry', { params: { path: { id } } }))
        : unwrap(api.POST('/api/v1/staff/jobs/{id}/cancel', { params: { path: { id } } })),
    { invalidates: [staffKeys.jobs.all] },
  );
  const counts = jobs.data?.counts;
  return (
    <StaffCard title={t('jobs.title')}>
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
      <StaffTable
        heads={[t('jobs.kind'), t('jobs.attempts'), t('jobs.runAt'), t('jobs.error'), null]}
        minWidth={720}
        testId="jobs-table"
        empty={jobs.data?.items.length === 0 && t('jobs.none')}
      >
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
              <RowActions
                go={
                  (j.status === 'dead' || j.status === 'queued') && {
                    label: t('jobs.retry'),
                    onClick: () => act.mutate({ id: j.id, action: 'retry' }),
                  }
                }
                stop={
                  j.status === 'queued' && {
                    label: t('jobs.cancel'),
                    onClick: () => act.mutate({ id: j.id, action: 'cancel' }),
                  }
                }
              />
            </Table.Td>
          </Table.Tr>
        ))}
      </StaffTable>
    </StaffCard>
  );
}
