import { Alert, Anchor, Badge, Button, Card, Group, Stack, Text, Textarea, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, isApiError, unwrap } from '../api/client.js';
import { formatDateTime } from '../format.js';

type Item = Awaited<ReturnType<typeof loadQueue>>['items'][number];

function loadQueue() {
  return unwrap(api.GET('/api/v1/staff/cancellations'));
}

function Decision({ item }: { item: Item }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  const decide = useMutation({
    mutationFn: (decision: 'approve' | 'request_info' | 'reject') =>
      unwrap(
        api.POST('/api/v1/staff/cancellations/{id}/decision', {
          params: { path: { id: item.id } },
          body: { decision, note, version: item.version },
        }),
      ),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['review-queue'] }),
    onError: (e) => setError(isApiError(e) ? e.message : t('app.loadError')),
  });
  return (
    <Stack gap="xs" mt="sm">
      <Textarea
        size="xs"
        placeholder={t('review.note')}
        value={note}
        onChange={(e) => setNote(e.currentTarget.value)}
        data-testid="review-note"
      />
      <Group gap="xs">
        <Button
          size="compact-sm"
          color="teal"
          disabled={item.status !== 'in_review'}
          onClick={() => decide.mutate('approve')}
          data-testid="review-approve"
        >
          {t('review.approve')}
        </Button>
        <Button
          size="compact-sm"
          variant="light"
          disabled={item.status !== 'in_review' || !note.trim()}
          onClick={() => decide.mutate('request_info')}
          data-testid="review-info"
        >
          {t('review.requestInfo')}
        </Button>
        <Button
          size="compact-sm"
          color="red"
          variant="light"
          disabled={item.status !== 'in_review' || !note.trim()}
          onClick={() => decide.mutate('reject')}
          data-testid="review-reject"
        >
          {t('review.reject')}
        </Button>
      </Group>
      {error && <Alert color="red">{error}</Alert>}
    </Stack>
  );
}

/** The reviewers' queue, by due date, overdue first in view. */
export function ReviewQueue() {
  const { t, i18n } = useTranslation();
  const queue = useQuery({ queryKey: ['review-queue'], queryFn: loadQueue, refetchInterval: 5000 });
  const items = queue.data?.items ?? [];
  return (
    <Card withBorder radius="md" padding="lg">
      <Title order={3} size="h4" mb="sm">
        {t('review.title')}
      </Title>
      {items.length === 0 && <Text c="dimmed">{t('review.empty')}</Text>}
      <Stack gap="md">
        {items.map((item) => {
          const checks = item.checks as { passed?: boolean } | null;
          return (
            <Card
              key={item.id}
              withBorder
              radius="sm"
              padding="md"
              data-testid="review-item"
              style={item.overdue ? { borderColor: 'var(--mantine-color-red-6)' } : undefined}
            >
              <Group justify="space-between">
                <Anchor
                  component={Link}
                  to={`/staff/customers/${item.accountId}`}
                  size="sm"
                  fw={600}
                  underline="always"
                >
                  {item.accountId}
                </Anchor>
                <Group gap="xs">
                  {item.overdue && <Badge color="red">{t('review.overdue')}</Badge>}
                  <Badge variant="light">{t(`close.status.${item.status}`)}</Badge>
                </Group>
              </Group>
              <Text size="xs" c="dimmed">
                {t('review.due', { date: formatDateTime(item.dueBy, i18n.language) })}
              </Text>
              {item.reasonCode && <Text size="sm">{t(`close.reasons.${item.reasonCode}`)}</Text>}
              {item.reason && (
                <Text size="sm" c="dimmed">
                  “{item.reason}”
                </Text>
              )}
              {checks && (
                <Text size="xs">{checks.passed ? t('review.checksPassed') : t('review.checksFailed')}</Text>
              )}
              <Decision item={item} />
            </Card>
          );
        })}
      </Stack>
    </Card>
  );
}
