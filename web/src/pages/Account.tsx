import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  PinInput,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client.js';
import { keys } from '../api/keys.js';
import { alertMessageOf, formErrorsOf, useApiMutation } from '../api/mutation.js';
import type { Me } from '../api/session.js';
import { useSignOut } from '../api/session.js';
import { SuspendCard } from '../components/SuspendCard.js';

const STATUS_COLOR: Record<string, string> = {
  active: 'green',
  suspended: 'red',
  cancellation_pending: 'orange',
  deregistered: 'gray',
};

export function AccountSummary({ me }: { me: Me }) {
  const { t, i18n } = useTranslation();
  const rows: Array<[string, string]> = [
    [t('account.email'), me.email ?? '—'],
    [t('account.phone'), me.phone ?? '—'],
    [t('account.language'), t(`languages.${me.locale}`)],
    [
      t('account.memberSince'),
      new Intl.DateTimeFormat(i18n.language, { dateStyle: 'long' }).format(new Date(me.createdAt)),
    ],
  ];
  return (
    <Card withBorder radius="md" padding="lg">
      <Group justify="space-between" mb="md">
        <Title order={3} size="h4">
          {t('account.title')}
        </Title>
        <Badge color={STATUS_COLOR[me.status] ?? 'gray'} size="lg" data-testid="account-status">
          {t(`account.status.${me.status}`)}
        </Badge>
      </Group>
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
        {rows.map(([label, value]) => (
          <div key={label}>
            <Text size="xs" c="dimmed">
              {label}
            </Text>
            <Text data-testid={`account-${label}`}>{value}</Text>
          </div>
        ))}
      </SimpleGrid>
    </Card>
  );
}

/** Adds the account's second address (a phone to an email sign-in, or the reverse), confirmed by a code. */
function AddContact({ me }: { me: Me }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const channel: 'email' | 'sms' = me.phone ? 'email' : 'sms';
  const form = useForm({ initialValues: { to: '' } });
  const to = form.getValues().to;
  const [challengeId, setChallengeId] = useState<string | null>(null);
  const send = useApiMutation(
    (address: string) => unwrap(api.POST('/api/v1/me/contact/codes', { body: { channel, to: address } })),
    {
      onSuccess: (r) => setChallengeId(r.challengeId),
      onError: (e) => form.setErrors(formErrorsOf(e, ['to'])),
    },
  );
  const confirm = useApiMutation(
    (code: string) =>
      unwrap(api.POST('/api/v1/me/contact', { body: { challengeId: challengeId ?? '', code } })),
    { onSuccess: (account) => queryClient.setQueryData(keys.me, account) },
  );
  const error = confirm.errorMessage ?? alertMessageOf(send, ['to']);
  function submit(event: FormEvent) {
    event.preventDefault();
    send.mutate(form.getValues().to.trim());
  }
  return (
    <Card withBorder radius="md" padding="lg" data-testid="add-contact">
      <Text fw={600}>{t(`account.addContact.${channel}`)}</Text>
      <Text size="sm" c="dimmed" mb="sm">
        {t('account.addContact.why')}
      </Text>
      {!challengeId ? (
        <Group component="form" onSubmit={submit} align="flex-end">
          <TextInput
            label={channel === 'sms' ? t('account.phone') : t('account.email')}
            type={channel === 'sms' ? 'tel' : 'email'}
            {...form.getInputProps('to')}
            style={{ flex: 1 }}
            data-testid="contact-to"
          />
          <Button type="submit" loading={send.isPending} disabled={!to.trim()} data-testid="contact-send">
            {t('account.addContact.send')}
          </Button>
        </Group>
      ) : (
        <Stack gap="xs">
          <Text size="sm">{t('account.addContact.enterCode', { to })}</Text>
          <PinInput
            length={6}
            type="number"
            oneTimeCode
            aria-label={t('account.addContact.code')}
            onComplete={(code) => confirm.mutate(code)}
            data-testid="contact-code"
          />
        </Stack>
      )}
      {error && (
        <Alert color="red" mt="sm" role="alert">
          {error}
        </Alert>
      )}
    </Card>
  );
}

/** Lost or stolen (R5): suspend the whole account at once; resuming needs a sign-in from the last ten minutes. */
function SuspendAccount({ me }: { me: Me }) {
  const queryClient = useQueryClient();
  return (
    <SuspendCard
      texts="account.lost"
      testId="account"
      status={me.status}
      suspend={() => unwrap(api.POST('/api/v1/me/suspend'))}
      resume={() => unwrap(api.POST('/api/v1/me/resume'))}
      onDone={(account) => queryClient.setQueryData(keys.me, account)}
    />
  );
}

export function SignOutButton() {
  const { t } = useTranslation();
  const signOut = useSignOut();
  return (
    <Button
      variant="default"
      loading={signOut.isPending}
      data-testid="sign-out"
      onClick={() => signOut.mutate()}
    >
      {t('account.signOut')}
    </Button>
  );
}

export function Account({ me }: { me: Me }) {
  const { t } = useTranslation();
  return (
    <Stack gap="lg" py="md">
      <Title order={2} data-testid="account-title">
        {t('account.welcome')}
      </Title>
      <AccountSummary me={me} />
      {me.status !== 'deregistered' && (!me.email || !me.phone) && <AddContact me={me} />}
      {me.status === 'deregistered' && (
        <Alert color="gray" data-testid="deregistered-notice">
          {t('account.deregisteredNotice')}
        </Alert>
      )}
      <Group>
        {me.status !== 'deregistered' && (
          <Button component={Link} to="/wallet" data-testid="go-wallet">
            {t('nav.wallet')}
          </Button>
        )}
        <SignOutButton />
      </Group>
      <SuspendAccount me={me} />
      <Card withBorder radius="md" padding="lg">
        <Text fw={600}>{t('account.manage')}</Text>
        <Group mt="sm" gap="xs">
          {me.status !== 'deregistered' && (
            <>
              <Button component={Link} to="/devices" variant="default" data-testid="account-link-devices">
                {t('nav.devices')}
              </Button>
              <Button component={Link} to="/usage" variant="default" data-testid="account-link-usage">
                {t('nav.usage')}
              </Button>
            </>
          )}
          <Button component={Link} to="/backup" variant="default" data-testid="account-link-backup">
            {t('nav.backup')}
          </Button>
          <Button component={Link} to="/account/close" color="red" variant="light" data-testid="go-close">
            {t('nav.close')}
          </Button>
        </Group>
      </Card>
    </Stack>
  );
}
