import { Button, Card, Code, Group, SegmentedControl, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../../api/client.js';
import { formatDateTime } from '../../../format.js';

const JOB_VIEWS = ['dead', 'retrying', 'queued', 'running', 'succeeded', 'cancelled'] as const;
type JobView = (typeof JOB_VIEWS)[number];

/** The background jobs by state; an admin retries a dead or queued one, or cancels a queued one. */
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
