import {
  Alert,
  Anchor,
  Button,
  Checkbox,
  Group,
  SegmentedControl,
  Select,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, unwrap } from '../../api/client.js';
import { useApiMutation } from '../../api/mutation.js';
import {
  type ReplyValues,
  TicketReply,
  TicketStatusBadge,
  TicketThread,
  useReplyForm,
} from '../../components/TicketThread.js';
import { formatDateTime } from '../../format.js';
import { staffKeys } from './keys.js';
import { StaffCard } from './StaffCard.js';
import { StaffTable } from './StaffTable.js';

const VIEWS = ['unassigned', 'mine', 'waiting_on_customer', 'open', 'closed', 'all'] as const;
type View = (typeof VIEWS)[number];

/** The support queue by view (unassigned first), refreshed while open. */
export function TicketQueue() {
  const { t, i18n } = useTranslation();
  const [params, setParams] = useSearchParams();
  const view = (VIEWS.includes(params.get('view') as View) ? params.get('view') : 'unassigned') as View;
  const queue = useQuery({
    queryKey: staffKeys.tickets.view(view),
    queryFn: () => unwrap(api.GET('/api/v1/staff/tickets', { params: { query: { view } } })),
    refetchInterval: 15_000,
  });
  return (
    <StaffCard title={t('tickets.title')}>
      <SegmentedControl
        value={view}
        onChange={(v) => setParams({ view: v })}
        data={VIEWS.map((v) => ({ value: v, label: t(`tickets.views.${v}`) }))}
        size="xs"
        data-testid="ticket-views"
        style={{ overflowX: 'auto' }}
      />
      {queue.isError && <Alert color="red">{t('app.loadError')}</Alert>}
      <StaffTable
        heads={[
          t('tickets.subject'),
          t('tickets.customer'),
          t('tickets.category'),
          t('tickets.status'),
          t('tickets.last'),
        ]}
        minWidth={640}
        testId="ticket-queue"
        highlightOnHover
        empty={queue.data?.items.length === 0 && t('tickets.empty')}
      >
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
              <TicketStatusBadge status={ticket.status} />
            </Table.Td>
            <Table.Td>{formatDateTime(ticket.lastMessageAt, i18n.language)}</Table.Td>
          </Table.Tr>
        ))}
      </StaffTable>
    </StaffCard>
  );
}

const STATUSES = ['open', 'waiting_on_customer', 'closed'] as const;
type Status = (typeof STATUSES)[number];

/** One ticket for staff: the thread with internal notes, taking it, its status, and an answer or a note. */
export function TicketDetail({ myId }: { myId: string }) {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const queryClient = useQueryClient();
  const form = useReplyForm();
  const ticket = useQuery({
    queryKey: staffKeys.tickets.one(id),
    queryFn: () => unwrap(api.GET('/api/v1/staff/tickets/{id}', { params: { path: { id } } })),
  });
  // Every change answers with the whole ticket: shown as it is; the queue (a sibling key) is asked again.
  const options = {
    invalidates: [staffKeys.tickets.all],
    onSuccess: (data: unknown) => void queryClient.setQueryData(staffKeys.tickets.one(id), data),
  };
  const reply = useApiMutation(
    ({ message, internal }: ReplyValues) =>
      unwrap(
        api.POST('/api/v1/staff/tickets/{id}/messages', {
          params: { path: { id } },
          body: { message: message.trim(), internal },
        }),
      ),
    {
      ...options,
      onSuccess: (data) => {
        form.reset();
        options.onSuccess(data);
      },
      form,
    },
  );
  const update = useApiMutation(
    (body: { status?: Status; assigneeId?: string | null }) =>
      unwrap(api.PATCH('/api/v1/staff/tickets/{id}', { params: { path: { id } }, body })),
    options,
  );
  const data = ticket.data;
  if (ticket.isError) return <Alert color="red">{t('app.loadError')}</Alert>;
  if (!data) return null;
  const internal = form.values.internal;
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
        <TicketStatusBadge status={data.status} size="lg" data-testid="staff-ticket-status" />
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
          onChange={(v) => v && update.mutate({ status: v as Status })}
          data={STATUSES.map((s) => ({ value: s, label: t(`help.status.${s}`) }))}
        />
      </Group>
      <TicketThread messages={data.messages} staffView />
      <TicketReply
        form={form}
        label={internal ? t('tickets.note') : t('tickets.answer')}
        sendLabel={internal ? t('tickets.addNote') : t('tickets.send')}
        testId="staff-reply"
        sending={reply.isPending}
        error={reply.errorMessage ?? update.errorMessage}
        onSend={(values) => reply.mutate(values)}
      >
        <Checkbox
          label={t('tickets.internal')}
          {...form.getInputProps('internal', { type: 'checkbox' })}
          data-testid="staff-internal"
        />
      </TicketReply>
    </Stack>
  );
}
