import {
  Alert,
  Button,
  Card,
  Group,
  Paper,
  Select,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client.js';
import { keys } from '../api/keys.js';
import { useApiMutation } from '../api/mutation.js';
import { type Me, useMe } from '../api/session.js';
import {
  type ReplyValues,
  TicketReply,
  TicketStatusBadge,
  TicketThread,
  useReplyForm,
} from '../components/TicketThread.js';
import { formatDateTime } from '../format.js';

export const CATEGORIES = ['general', 'cancellation', 'billing', 'esim', 'usage', 'lost_or_stolen'] as const;
type Category = (typeof CATEGORIES)[number];
const RELATED = ['line', 'payment', 'cancellation', 'refund', 'device'] as const;
type Related = (typeof RELATED)[number];

/**
 * "Contact support" from anywhere: /help?category=…&subject=…&message=…&relatedType=…&relatedId=…
 * opens the form already filled in with what the subscriber was looking at.
 */
export function supportLink(prefill: {
  category?: Category;
  subject?: string;
  message?: string;
  related?: { type: Related; id: string };
}): string {
  const params = new URLSearchParams({ new: '1' });
  if (prefill.category) params.set('category', prefill.category);
  if (prefill.subject) params.set('subject', prefill.subject);
  if (prefill.message) params.set('message', prefill.message);
  if (prefill.related) {
    params.set('relatedType', prefill.related.type);
    params.set('relatedId', prefill.related.id);
  }
  return `/help?${params}`;
}

interface NewTicketValues {
  category: Category;
  subject: string;
  message: string;
}

/** The form a "Contact support" link fills in: the category, subject and message it carries. */
function useNewTicketForm() {
  const [params] = useSearchParams();
  const category = params.get('category');
  return useForm<NewTicketValues>({
    initialValues: {
      category: CATEGORIES.includes(category as Category) ? (category as Category) : 'general',
      subject: params.get('subject') ?? '',
      message: params.get('message') ?? '',
    },
  });
}

function NewTicket({ onDone }: { onDone: (id: string) => void }) {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const form = useNewTicketForm();
  const relatedType = params.get('relatedType');
  const relatedId = params.get('relatedId');
  const related =
    relatedType && relatedId && RELATED.includes(relatedType as Related)
      ? { type: relatedType as Related, id: relatedId }
      : undefined;
  const open = useApiMutation(
    ({ subject, message, category }: NewTicketValues) =>
      unwrap(
        api.POST('/api/v1/me/tickets', {
          body: { subject: subject.trim(), message: message.trim(), category, related },
        }),
      ),
    {
      invalidates: [keys.tickets.all],
      onSuccess: (ticket) => onDone(ticket.id),
      form,
    },
  );
  const { subject, message } = form.values;
  return (
    <Card
      withBorder
      radius="md"
      padding="lg"
      component="form"
      onSubmit={form.onSubmit((values) => open.mutate(values))}
      data-testid="new-ticket"
    >
      <Stack gap="sm">
        <Title order={3} size="h4">
          {t('help.new')}
        </Title>
        <Select
          label={t('help.category')}
          {...form.getInputProps('category')}
          data={CATEGORIES.map((c) => ({ value: c, label: t(`help.categories.${c}`) }))}
          allowDeselect={false}
          data-testid="ticket-category"
        />
        <TextInput
          label={t('help.subject')}
          required
          maxLength={200}
          {...form.getInputProps('subject')}
          data-testid="ticket-subject"
        />
        <Textarea
          label={t('help.message')}
          required
          autosize
          minRows={4}
          maxLength={5000}
          {...form.getInputProps('message')}
          data-testid="ticket-message"
        />
        {related && (
          <Text size="xs" c="dimmed" data-testid="ticket-related">
            {t('help.about', { what: t(`help.related.${related.type}`), id: related.id })}
          </Text>
        )}
        {open.errorMessage && (
          <Alert color="red" role="alert">
            {open.errorMessage}
          </Alert>
        )}
        <Group>
          <Button
            type="submit"
            loading={open.isPending}
            disabled={!subject.trim() || !message.trim()}
            data-testid="ticket-submit"
          >
            {t('help.send')}
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}

/** "We tell you by …": only the channels this subscriber has (an account with neither is told nothing). */
function helpIntro(me: Me | null | undefined, t: TFunction): string {
  const channel = me?.email && me?.phone ? 'both' : me?.email ? 'email' : me?.phone ? 'sms' : null;
  return channel ? t('help.introNotify', { channels: t(`help.channels.${channel}`) }) : t('help.intro');
}

export function Help() {
  const { t, i18n } = useTranslation();
  const me = useMe().data;
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const tickets = useQuery({
    queryKey: keys.tickets.all,
    queryFn: () => unwrap(api.GET('/api/v1/me/tickets')),
  });
  const composing = params.get('new') === '1';
  return (
    <Stack gap="lg" py="md">
      <Group justify="space-between">
        <Title order={2}>{t('help.title')}</Title>
        {!composing && (
          <Button onClick={() => setParams({ new: '1' })} data-testid="ticket-new">
            {t('help.new')}
          </Button>
        )}
      </Group>
      <Text c="dimmed" size="sm" data-testid="help-intro">
        {helpIntro(me, t)}
      </Text>
      {composing && <NewTicket onDone={(id) => navigate(`/help/${id}`)} />}
      <Card withBorder radius="md" padding="lg">
        <Title order={3} size="h4" mb="sm">
          {t('help.mine')}
        </Title>
        {tickets.data?.items.length === 0 && <Text c="dimmed">{t('help.none')}</Text>}
        <Stack gap="xs">
          {tickets.data?.items.map((ticket) => (
            <Paper
              key={ticket.id}
              withBorder
              p="sm"
              radius="md"
              component={Link}
              to={`/help/${ticket.id}`}
              data-testid="ticket-row"
              style={{ textDecoration: 'none', color: 'inherit' }}
            >
              {/* On a narrow phone the status goes under the subject instead of being cut short. */}
              <Group justify="space-between" align="flex-start" gap="xs">
                <div style={{ flex: '1 1 10rem', minWidth: 0 }}>
                  <Text fw={500}>{ticket.subject}</Text>
                  <Text size="xs" c="dimmed">
                    {t(`help.categories.${ticket.category}`)} ·{' '}
                    {formatDateTime(ticket.lastMessageAt, i18n.language)}
                  </Text>
                </div>
                <TicketStatusBadge status={ticket.status} />
              </Group>
            </Paper>
          ))}
        </Stack>
      </Card>
    </Stack>
  );
}

/** One of the subscriber's tickets: the thread, a reply, and closing it. */
export function HelpThread() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const queryClient = useQueryClient();
  const form = useReplyForm();
  const ticket = useQuery({
    queryKey: keys.tickets.one(id),
    queryFn: () => unwrap(api.GET('/api/v1/me/tickets/{id}', { params: { path: { id } } })),
  });
  // Both answers are the whole ticket: shown as it is, and only the list is asked for again.
  const show = (data: unknown) => {
    queryClient.setQueryData(keys.tickets.one(id), data);
    return queryClient.invalidateQueries({ queryKey: keys.tickets.all, exact: true });
  };
  const send = useApiMutation(
    ({ message }: ReplyValues) =>
      unwrap(
        api.POST('/api/v1/me/tickets/{id}/messages', {
          params: { path: { id } },
          body: { message: message.trim() },
        }),
      ),
    {
      onSuccess: (data) => {
        form.reset();
        return show(data);
      },
      form,
    },
  );
  const close = useApiMutation(
    () => unwrap(api.POST('/api/v1/me/tickets/{id}/close', { params: { path: { id } } })),
    { onSuccess: show },
  );
  if (ticket.isError) return <Alert color="red">{t('app.loadError')}</Alert>;
  const data = ticket.data;
  return (
    <Stack gap="lg" py="md">
      <Button component={Link} to="/help" variant="subtle" size="compact-sm" w="fit-content">
        ← {t('help.title')}
      </Button>
      {data && (
        <>
          <Group justify="space-between" align="flex-start" gap="xs">
            <Title
              order={2}
              size="h3"
              data-testid="ticket-subject-title"
              style={{ flex: '1 1 10rem', minWidth: 0 }}
            >
              {data.subject}
            </Title>
            <TicketStatusBadge status={data.status} data-testid="ticket-status" />
          </Group>
          <TicketThread messages={data.messages} />
          <TicketReply
            form={form}
            label={t('help.reply')}
            sendLabel={t('help.send')}
            testId="ticket-reply"
            sending={send.isPending}
            error={send.errorMessage ?? close.errorMessage}
            onSend={(values) => send.mutate(values)}
            actions={
              data.status !== 'closed' && (
                <Button variant="default" onClick={() => close.mutate()} loading={close.isPending}>
                  {t('help.close')}
                </Button>
              )
            }
          />
        </>
      )}
    </Stack>
  );
}
