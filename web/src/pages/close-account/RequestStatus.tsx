import { Alert, Badge, Button, Card, Group, Stack, Text, Textarea, Timeline } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client.js';
import { useApiMutation } from '../../api/mutation.js';
import { formatDateTime } from '../../format.js';

/** A request still being decided or approved: the form to apply again is hidden meanwhile. */
export const OPEN = ['submitted', 'in_review', 'info_requested', 'approved'];

interface Request {
  id: string;
  status: string;
  dueBy: string;
  events: Array<{ status: string; at: string; note: string | null }>;
}

/** The latest request's status and history, with the answer to a question from the reviewer and the withdrawal. */
export function RequestStatus({ request }: { request: Request }) {
  const { t, i18n } = useTranslation();
  const [info, setInfo] = useState('');
  const path = { params: { path: { id: request.id } } };
  const resubmit = useApiMutation(
    () => unwrap(api.POST('/api/v1/me/cancellation/{id}/resubmit', { ...path, body: { info } })),
    { invalidates: 'all' },
  );
  const withdraw = useApiMutation(() => unwrap(api.POST('/api/v1/me/cancellation/{id}/withdraw', path)), {
    invalidates: 'all',
  });
  const lastNote = [...request.events].reverse().find((e) => e.status === 'info_requested')?.note;
  return (
    <Card withBorder radius="md" padding="lg" data-testid="cancellation-request">
      <Group justify="space-between" mb="sm">
        <Text fw={600}>{t('close.request')}</Text>
        <Badge data-testid="cancellation-status">{t(`close.status.${request.status}`)}</Badge>
      </Group>
      {OPEN.includes(request.status) && (
        <Text size="sm" mb="sm">
          {t('close.dueBy', { date: formatDateTime(request.dueBy, i18n.language) })}
        </Text>
      )}
      <Timeline active={request.events.length - 1} bulletSize={14} lineWidth={2}>
        {request.events.map((e) => (
          <Timeline.Item key={`${e.status}-${e.at}`} title={t(`close.status.${e.status}`)}>
            <Text size="xs" c="dimmed">
              {formatDateTime(e.at, i18n.language)}
            </Text>
            {e.note && <Text size="sm">{e.note}</Text>}
          </Timeline.Item>
        ))}
      </Timeline>
      {request.status === 'info_requested' && (
        <Stack mt="md" gap="xs">
          <Alert color="yellow">{t('close.infoAsked', { note: lastNote ?? '' })}</Alert>
          <Textarea
            value={info}
            onChange={(e) => setInfo(e.currentTarget.value)}
            label={t('close.yourAnswer')}
            data-testid="resubmit-info"
          />
          <Button
            onClick={() => resubmit.mutate()}
            disabled={!info.trim()}
            loading={resubmit.isPending}
            data-testid="resubmit"
          >
            {t('close.resubmit')}
          </Button>
        </Stack>
      )}
      {['submitted', 'in_review', 'info_requested'].includes(request.status) && (
        <Button
          mt="md"
          variant="subtle"
          color="gray"
          onClick={() => withdraw.mutate()}
          loading={withdraw.isPending}
          data-testid="withdraw"
        >
          {t('close.withdraw')}
        </Button>
      )}
    </Card>
  );
}
