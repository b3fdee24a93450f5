import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  SegmentedControl,
  Select,
  Stack,
  Table,
  Text,
  Textarea,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, isApiError, unwrap } from '../../api/client.js';
import { formatDateTime } from '../../format.js';
import { Conversation, STATUS_COLOR } from '../Help.js';

const VIEWS = ['unassigned', 'mine', 'waiting_on_customer', 'open', 'closed', 'all'] as const;
type View = (typeof VIEWS)[number];

export function TicketQueue() {
  const { t, i18n } = useTranslation();
  const [params, setParams] = useSearchParams();
  const view = (VIEWS.includes(params.get('view') as View) ? params.get('view') : 'unassigned') as View;
  const queue = useQuery({
    queryKey: ['staff-tickets', view],
    queryFn: () => unwrap(api.GET('/api/v1/staff/tickets', { params: { query: { view } } })),
    refetchInterval: 15_000,
  });
  return (
    <Card withBorder radius="md" padding="lg">
      <Stack gap="sm">
        <Title order={3} size="h4">
          {t('tickets.title')}
        </Title>
        <SegmentedControl
          value={view}
          onChange={(v) => setParams({ view: v })}
          data={VIEWS.map((v) => ({ value: v, label: t(`tickets.views.${v}`) }))}
          size="xs"
          data-testid="ticket-views"
          style={{ overflowX: 'auto' }}
        />
        {queue.isError && <Alert color="red">{t('app.loadError')}</Alert>}
        <Table.ScrollContainer minWidth={640}>
          <Table striped highlightOnHover data-testid="ticket-queue">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('tickets.subject')}</Table.Th>
                <Table.Th>{t('tickets.customer')}</Table.Th>
                <Table.Th>{t('tickets.category')}</Table.Th>
                <Table.Th>{t('tickets.status')}</Table.Th>
                <Table.Th>{t('tickets.last')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {queue.data?.items.map((ticket) => (
                <Table.Tr key={ticket.id} data-testid="ticket-queue-row">
                  <Table.Td>
                    <Anchor component={Link} to={`/staff/tickets/${ticket.id}`} fw={500}>
                      {ticket.subject}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <Anchor component={Link} to={`/staff/customers/${ticket.accountId}`} size="sm">
                      {ticket.customer.email ?? ticket.customer.phone ?? ticket.accountId}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{t(`help.categories.${ticket.category}`)}</Table.Td>
                  <Table.Td>
                    <Badge color={STATUS_COLOR[ticket.status]} variant="light">
                      {t(`help.status.${ticket.status}`)}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{formatDateTime(ticket.lastMessageAt, i18n.language)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        {queue.data?.items.length === 0 && <Text c="dimmed">{t('tickets.empty')}</Text>}
      </Stack>
    </Card>
  );
}

export function TicketDetail({ myId }: { myId: string }) {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const queryClient = useQueryClient();
  const [message, setMessage] = useState('');
  const [internal, setInternal] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ticket = useQuery({
    queryKey: ['staff-ticket', id],
    queryFn: () => unwrap(api.GET('/api/v1/staff/tickets/{id}', { params: { path: { id } } })),
  });
  const done = (data: unknown) => {
    queryClient.setQueryData(['staff-ticket', id], data);
    void queryClient.invalidateQueries({ queryKey: ['staff-tickets'] });
  };
  const fail = (e: unknown) => setError(isApiError(e) ? e.message : t('app.loadError'));
  const reply = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/staff/tickets/{id}/messages', {
          params: { path: { id } },
          body: { message: message.trim(), internal },
        }),
      ),
    onSuccess: (data) => {
      setMessage('');
      setInternal(false);
      done(data);
    },
    onError: fail,
  });
  const update = useMutation({
    mutationFn: (body: { status?: 'open' | 'waiting_on_customer' | 'closed'; assigneeId?: string | null }) =>
      unwrap(api.PATCH('/api/v1/staff/tickets/{id}', { params: { path: { id } }, body })),
    onSuccess: done,
    onError: fail,
  });
  const data = ticket.data;
  if (ticket.isError) return <Alert color="red">{t('app.loadError')}</Alert>;
  if (!data) return null;
  return (
    <Stack gap="md">
      <Button component={Link} to="/staff/tickets" variant="subtle" size="compact-sm" w="fit-content">
        ← {t('tickets.title')}
      </Button>
      <Group justify="space-between" wrap="nowrap" align="flex-start">
        <div>
          <Title order={3}>{data.subject}</Title>
          <Text size="sm" c="dimmed">
            {t(`help.categories.${data.category}`)}
            {data.related && ` · ${t(`help.related.${data.related.type}`)} ${data.related.id}`} ·{' '}
            <Anchor component={Link} to={`/staff/customers/${data.accountId}`} underline="always">
              {t('tickets.openCustomer')}
            </Anchor>
          </Text>
        </div>
        <Badge color={STATUS_COLOR[data.status]} variant="light" size="lg" data-testid="staff-ticket-status">
          {t(`help.status.${data.status}`)}
        </Badge>
      </Group>
      <Group gap="xs">
        {data.assigneeId !== myId && (
          <Button size="compact-sm" variant="light" onClick={() => update.mutate({ assigneeId: myId })}>
            {t('tickets.takeIt')}
          </Button>
        )}
        <Select
          size="xs"
          w={200}
          aria-label={t('tickets.status')}
          value={data.status}
          allowDeselect={false}
          onChange={(v) => v && update.mutate({ status: v as 'open' | 'waiting_on_customer' | 'closed' })}
          data={(['open', 'waiting_on_customer', 'closed'] as const).map((s) => ({
            value: s,
            label: t(`help.status.${s}`),
          }))}
        />
      </Group>
      <Conversation messages={data.messages} staffView />
      <Card withBorder radius="md" padding="md">
        <Stack gap="sm">
          <Textarea
            label={internal ? t('tickets.note') : t('tickets.answer')}
            autosize
            minRows={3}
            maxLength={5000}
            value={message}
            onChange={(e) => setMessage(e.currentTarget.value)}
            data-testid="staff-reply"
          />
          <Checkbox
            label={t('tickets.internal')}
            checked={internal}
            onChange={(e) => setInternal(e.currentTarget.checked)}
            data-testid="staff-internal"
          />
          {error && <Alert color="red">{error}</Alert>}
          <Group>
            <Button
              onClick={() => reply.mutate()}
              loading={reply.isPending}
              disabled={!message.trim()}
              data-testid="staff-reply-send"
            >
              {internal ? t('tickets.addNote') : t('tickets.send')}
            </Button>
          </Group>
        </Stack>
      </Card>
    </Stack>
  );
}
