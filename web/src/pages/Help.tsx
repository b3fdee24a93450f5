import {
  Alert,
  Badge,
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
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { api, isApiError, unwrap } from '../api/client.js';
import { formatDateTime } from '../format.js';

export const CATEGORIES = ['general', 'cancellation', 'billing', 'esim', 'usage', 'lost_or_stolen'] as const;
type Category = (typeof CATEGORIES)[number];
const RELATED = ['line', 'payment', 'cancellation', 'refund', 'device'] as const;
type Related = (typeof RELATED)[number];

export const STATUS_COLOR: Record<string, string> = {
  open: 'blue',
  waiting_on_customer: 'orange',
  closed: 'gray',
};

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

function NewTicket({ onDone }: { onDone: (id: string) => void }) {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const queryClient = useQueryClient();
  const [subject, setSubject] = useState(params.get('subject') ?? '');
  const [message, setMessage] = useState(params.get('message') ?? '');
  const initialCategory = params.get('category');
  const [category, setCategory] = useState<Category>(
    CATEGORIES.includes(initialCategory as Category) ? (initialCategory as Category) : 'general',
  );
  const relatedType = params.get('relatedType');
  const relatedId = params.get('relatedId');
  const related =
    relatedType && relatedId && RELATED.includes(relatedType as Related)
      ? { type: relatedType as Related, id: relatedId }
      : undefined;
  const [error, setError] = useState<string | null>(null);
  const open = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/me/tickets', {
          body: { subject: subject.trim(), message: message.trim(), category, related },
        }),
      ),
    onSuccess: (ticket) => {
      void queryClient.invalidateQueries({ queryKey: ['tickets'] });
      onDone(ticket.id);
    },
    onError: (e) => setError(isApiError(e) ? e.message : t('app.loadError')),
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    open.mutate();
  }
  return (
    <Card withBorder radius="md" padding="lg" component="form" onSubmit={submit} data-testid="new-ticket">
      <Stack gap="sm">
        <Title order={3} size="h4">
          {t('help.new')}
        </Title>
        <Select
          label={t('help.category')}
          value={category}
          onChange={(v) => v && setCategory(v as Category)}
          data={CATEGORIES.map((c) => ({ value: c, label: t(`help.categories.${c}`) }))}
          allowDeselect={false}
          data-testid="ticket-category"
        />
        <TextInput
          label={t('help.subject')}
          required
          maxLength={200}
          value={subject}
          onChange={(e) => setSubject(e.currentTarget.value)}
          data-testid="ticket-subject"
        />
        <Textarea
          label={t('help.message')}
          required
          autosize
          minRows={4}
          maxLength={5000}
          value={message}
          onChange={(e) => setMessage(e.currentTarget.value)}
          data-testid="ticket-message"
        />
        {related && (
          <Text size="xs" c="dimmed" data-testid="ticket-related">
            {t('help.about', { what: t(`help.related.${related.type}`), id: related.id })}
          </Text>
        )}
        {error && (
          <Alert color="red" role="alert">
            {error}
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

export function Help() {
  const { t, i18n } = useTranslation();
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const tickets = useQuery({
    queryKey: ['tickets'],
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
      <Text c="dimmed" size="sm">
        {t('help.intro')}
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
              <Group justify="space-between" wrap="nowrap">
                <div>
                  <Text fw={500}>{ticket.subject}</Text>
                  <Text size="xs" c="dimmed">
                    {t(`help.categories.${ticket.category}`)} ·{' '}
                    {formatDateTime(ticket.lastMessageAt, i18n.language)}
                  </Text>
                </div>
                <Badge color={STATUS_COLOR[ticket.status]} variant="light">
                  {t(`help.status.${ticket.status}`)}
                </Badge>
              </Group>
            </Paper>
          ))}
        </Stack>
      </Card>
    </Stack>
  );
}

/** One conversation: the subscriber's messages on the right, support's on the left. */
export function Conversation({
  messages,
  staffView = false,
}: {
  messages: {
    id: string;
    author: string;
    authorName: string | null;
    body: string;
    internal: boolean;
    createdAt: string;
  }[];
  staffView?: boolean;
}) {
  const { t, i18n } = useTranslation();
  return (
    <Stack gap="sm" data-testid="conversation">
      {messages.map((m) => {
        const mine = staffView ? m.author === 'staff' : m.author === 'subscriber';
        return (
          <Paper
            key={m.id}
            p="sm"
            radius="md"
            maw="85%"
            ml={mine ? 'auto' : undefined}
            bg={m.internal ? 'yellow.0' : mine ? 'blue.0' : 'gray.0'}
            withBorder={m.internal}
            data-testid={m.internal ? 'internal-note' : `message-${m.author}`}
          >
            <Text size="xs" c="dimmed" mb={4}>
              {m.internal
                ? t('help.internal')
                : m.author === 'staff'
                  ? (staffView && m.authorName) || t('help.support')
                  : staffView
                    ? m.authorName || t('help.customer')
                    : t('help.you')}{' '}
              · {formatDateTime(m.createdAt, i18n.language)}
            </Text>
            <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
              {m.body}
            </Text>
          </Paper>
        );
      })}
    </Stack>
  );
}

export function HelpThread() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const queryClient = useQueryClient();
  const [reply, setReply] = useState('');
  const ticket = useQuery({
    queryKey: ['ticket', id],
    queryFn: () => unwrap(api.GET('/api/v1/me/tickets/{id}', { params: { path: { id } } })),
  });
  const refresh = (data: unknown) => {
    queryClient.setQueryData(['ticket', id], data);
    void queryClient.invalidateQueries({ queryKey: ['tickets'] });
  };
  const send = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/me/tickets/{id}/messages', {
          params: { path: { id } },
          body: { message: reply.trim() },
        }),
      ),
    onSuccess: (data) => {
      setReply('');
      refresh(data);
    },
  });
  const close = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/me/tickets/{id}/close', { params: { path: { id } } })),
    onSuccess: refresh,
  });
  if (ticket.isError) return <Alert color="red">{t('app.loadError')}</Alert>;
  const data = ticket.data;
  return (
    <Stack gap="lg" py="md">
      <Button component={Link} to="/help" variant="subtle" size="compact-sm" w="fit-content">
        ← {t('help.title')}
      </Button>
      {data && (
        <>
          <Group justify="space-between" wrap="nowrap">
            <Title order={2} size="h3" data-testid="ticket-subject-title">
              {data.subject}
            </Title>
            <Badge color={STATUS_COLOR[data.status]} variant="light" data-testid="ticket-status">
              {t(`help.status.${data.status}`)}
            </Badge>
          </Group>
          <Conversation messages={data.messages} />
          <Card withBorder radius="md" padding="md">
            <Stack gap="sm">
              <Textarea
                label={t('help.reply')}
                autosize
                minRows={3}
                maxLength={5000}
                value={reply}
                onChange={(e) => setReply(e.currentTarget.value)}
                data-testid="ticket-reply"
              />
              <Group>
                <Button
                  onClick={() => send.mutate()}
                  loading={send.isPending}
                  disabled={!reply.trim()}
                  data-testid="ticket-reply-send"
                >
                  {t('help.send')}
                </Button>
                {data.status !== 'closed' && (
                  <Button variant="default" onClick={() => close.mutate()} loading={close.isPending}>
                    {t('help.close')}
                  </Button>
                )}
              </Group>
            </Stack>
          </Card>
        </>
      )}
    </Stack>
  );
}
