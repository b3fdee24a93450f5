import { Alert, Badge, Button, Card, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client.js';
import { keys } from '../api/keys.js';
import { errorMessageOf } from '../api/mutation.js';

/** Demo mode: read what would have been emailed or texted to an address. */
export function DevMailbox() {
  const { t, i18n } = useTranslation();
  const [params, setParams] = useSearchParams();
  const to = params.get('to') ?? '';
  const [draft, setDraft] = useState(to);
  const messages = useQuery({
    queryKey: keys.devMessages(to),
    enabled: to !== '',
    refetchInterval: 2000,
    queryFn: () => unwrap(api.GET('/api/v1/dev/messages', { params: { query: { to } } })),
  });
  const when = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'short', timeStyle: 'medium' });

  function open(event: FormEvent) {
    event.preventDefault();
    setParams({ to: draft.trim() });
  }

  return (
    <Stack gap="md" py="md">
      <Title order={2}>{t('devMailbox.title')}</Title>
      <Alert color="orange" variant="light">
        {t('devMailbox.explain')}
      </Alert>
      <form onSubmit={open}>
        <Group align="flex-end">
          <TextInput
            label={t('devMailbox.to')}
            value={draft}
            onChange={(e) => setDraft(e.currentTarget.value)}
            placeholder="name@example.com / +8613800138000"
            style={{ flex: 1 }}
            data-testid="mailbox-to"
          />
          <Button type="submit">{t('devMailbox.open')}</Button>
        </Group>
      </form>
      {messages.isError && <Alert color="red">{errorMessageOf(messages.error, t)}</Alert>}
      {messages.data?.items.length === 0 && <Text c="dimmed">{t('devMailbox.empty')}</Text>}
      {messages.data?.items.map((m) => (
        <Card key={m.id} withBorder radius="md" padding="md" data-testid="mailbox-message">
          <Group justify="space-between" mb="xs">
            <Group gap="xs">
              <Badge variant="light" color={m.channel === 'email' ? 'blue' : 'teal'}>
                {m.channel === 'email' ? t('devMailbox.email') : t('devMailbox.sms')}
              </Badge>
              <Text size="sm" c="dimmed">
                {m.to}
              </Text>
            </Group>
            <Text size="xs" c="dimmed">
              {when.format(new Date(m.createdAt))}
            </Text>
          </Group>
          {m.subject && <Text fw={600}>{m.subject}</Text>}
          <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} data-testid="mailbox-text">
            {m.text}
          </Text>
        </Card>
      ))}
    </Stack>
  );
}
