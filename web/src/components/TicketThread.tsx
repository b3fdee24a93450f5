import {
  Alert,
  Badge,
  type BadgeProps,
  Button,
  Card,
  Group,
  Paper,
  Stack,
  Text,
  Textarea,
} from '@mantine/core';
import { type UseFormReturnType, useForm } from '@mantine/form';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../format.js';

const STATUS_COLOR: Record<string, string> = {
  open: 'blue',
  waiting_on_customer: 'orange',
  closed: 'gray',
};

/** A ticket's status in words, in its colour (the subscriber's and staff's pages alike). */
export function TicketStatusBadge({
  status,
  ...props
}: { status: string } & BadgeProps & { 'data-testid'?: string }) {
  const { t } = useTranslation();
  return (
    <Badge color={STATUS_COLOR[status]} variant="light" {...props}>
      {t(`help.status.${status}`)}
    </Badge>
  );
}

export interface ThreadMessage {
  id: string;
  author: string;
  authorName: string | null;
  body: string;
  internal: boolean;
  createdAt: string;
}

/**
 * One conversation, the reader's own messages on the right: the subscriber's on their page, support's
 * on the staff page, where staff also see names and internal notes.
 */
export function TicketThread({
  messages,
  staffView = false,
}: {
  messages: ThreadMessage[];
  staffView?: boolean;
}) {
  const { t, i18n } = useTranslation();
  function authorOf(m: ThreadMessage): string {
    if (m.internal) return t('help.internal');
    if (m.author === 'staff') return (staffView && m.authorName) || t('help.support');
    return staffView ? m.authorName || t('help.customer') : t('help.you');
  }
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
              {authorOf(m)} · {formatDateTime(m.createdAt, i18n.language)}
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

/** A reply; `internal` only on the staff page, where a reply can be a note the customer never sees. */
export interface ReplyValues {
  message: string;
  internal: boolean;
}

export type ReplyForm = UseFormReturnType<ReplyValues>;

export function useReplyForm(): ReplyForm {
  return useForm<ReplyValues>({ initialValues: { message: '', internal: false } });
}

/**
 * The box under a thread: the message (the API's complaint about it shown under it), whatever else
 * the page asks (`children`), what went wrong, and the send button beside the page's own `actions`.
 */
export function TicketReply({
  form,
  label,
  sendLabel,
  testId,
  sending,
  error,
  onSend,
  children,
  actions,
}: {
  form: ReplyForm;
  label: string;
  sendLabel: string;
  /** The message box's test id; the send button's is the same with `-send`. */
  testId: string;
  sending: boolean;
  error: string | null;
  onSend: (values: ReplyValues) => void;
  children?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <Card withBorder radius="md" padding="md">
      <form onSubmit={form.onSubmit(onSend)}>
        <Stack gap="sm">
          <Textarea
            label={label}
            autosize
            minRows={3}
            maxLength={5000}
            {...form.getInputProps('message')}
            data-testid={testId}
          />
          {children}
          {error && <Alert color="red">{error}</Alert>}
          <Group>
            <Button
              type="submit"
              loading={sending}
              disabled={!form.values.message.trim()}
              data-testid={`${testId}-send`}
            >
              {sendLabel}
            </Button>
            {actions}
          </Group>
        </Stack>
      </form>
    </Card>
  );
}
