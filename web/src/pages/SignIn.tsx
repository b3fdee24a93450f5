import {
  Alert,
  Anchor,
  Button,
  Card,
  Group,
  PinInput,
  SegmentedControl,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, useLocation, useNavigate } from 'react-router';
import { api, isApiError, unwrap } from '../api/client.js';
import { keys } from '../api/keys.js';
import { useMeta } from '../api/meta.js';
import { alertMessageOf, formErrorsOf, useApiMutation } from '../api/mutation.js';
import { landingAfterSignIn, useMe } from '../api/session.js';

const RESEND_SECONDS = 60;
const RESTART = ['CODE_EXPIRED', 'TOO_MANY_ATTEMPTS', 'CHALLENGE_NOT_FOUND', 'FRESH_CODE_REQUIRED'];

type Channel = 'email' | 'sms';

export function SignIn() {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const { search } = useLocation();
  const queryClient = useQueryClient();
  const me = useMe();
  const meta = useMeta();
  const [channel, setChannel] = useState<Channel>('email');
  const form = useForm({ initialValues: { to: '' } });
  const to = form.getValues().to;
  const [challengeId, setChallengeId] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [cooldown, setCooldown] = useState(0);
  const send = useApiMutation(() => unwrap(api.POST('/api/v1/auth/codes', { body: { channel, to } })), {
    onSuccess: (result) => {
      setChallengeId(result.challengeId);
      setCode('');
      setCooldown(RESEND_SECONDS);
    },
    onError: (e) => form.setErrors(formErrorsOf(e, ['to'])),
  });
  const verify = useApiMutation(
    (value: string) =>
      unwrap(
        api.POST('/api/v1/auth/sessions', {
          body: { challengeId: challengeId ?? '', code: value, locale: i18n.language },
        }),
      ),
    {
      onSuccess: (session) => {
        queryClient.setQueryData(keys.me, session.account);
        navigate(landingAfterSignIn(session.account.role, search), { replace: true });
      },
      // A code that can no longer be used: back to the address, to ask for a new one.
      onError: (e) => {
        if (isApiError(e) && RESTART.includes(e.code)) setChallengeId(null);
      },
    },
  );
  const busy = send.isPending || verify.isPending;
  const error = alertMessageOf(send, ['to']) ?? verify.errorMessage;

  useEffect(() => {
    if (cooldown <= 0) return;
    const timer = setTimeout(() => setCooldown((c) => c - 1), 1000);
    return () => clearTimeout(timer);
  }, [cooldown]);

  if (me.data) return <Navigate to={landingAfterSignIn(me.data.role, search)} replace />;

  function sendCode(event?: FormEvent) {
    event?.preventDefault();
    verify.reset();
    send.mutate();
  }

  function verifyCode(value = code) {
    if (!challengeId || value.length !== 6) return;
    send.reset();
    verify.mutate(value);
  }

  const demo = meta.data?.demoParts.includes('dev-mailbox');

  return (
    <Stack align="center" py="xl">
      <Card withBorder radius="lg" padding="xl" w="100%" maw={440}>
        <Stack gap="md">
          <Title order={2} size="h3">
            {t('signIn.title')}
          </Title>
          {challengeId === null ? (
            <form onSubmit={sendCode}>
              <Stack gap="md">
                <Text size="sm" c="dimmed">
                  {t('signIn.intro')}
                </Text>
                <SegmentedControl
                  fullWidth
                  value={channel}
                  onChange={(v) => {
                    setChannel(v as Channel);
                    form.setFieldValue('to', '');
                  }}
                  data={[
                    { value: 'email', label: t('signIn.byEmail') },
                    { value: 'sms', label: t('signIn.byPhone') },
                  ]}
                  aria-label={t('signIn.channel')}
                />
                <TextInput
                  label={channel === 'email' ? t('signIn.email') : t('signIn.phone')}
                  description={channel === 'sms' ? t('signIn.phoneHint') : undefined}
                  placeholder={channel === 'email' ? 'name@example.com' : '+86 138 0013 8000'}
                  type={channel === 'email' ? 'email' : 'tel'}
                  autoComplete={channel === 'email' ? 'email' : 'tel'}
                  {...form.getInputProps('to')}
                  required
                  data-testid="sign-in-to"
                />
                <Button type="submit" loading={busy} disabled={to.trim() === ''} data-testid="send-code">
                  {t('signIn.sendCode')}
                </Button>
              </Stack>
            </form>
          ) : (
            <Stack gap="md">
              <Text size="sm">{t('signIn.codeSent', { to })}</Text>
              <Group justify="center">
                <PinInput
                  length={6}
                  type="number"
                  oneTimeCode
                  value={code}
                  onChange={setCode}
                  onComplete={(value) => verifyCode(value)}
                  aria-label={t('signIn.code')}
                  data-testid="code-input"
                  autoFocus
                />
              </Group>
              <Button
                onClick={() => verifyCode()}
                loading={busy}
                disabled={code.length !== 6}
                data-testid="verify-code"
              >
                {t('signIn.verify')}
              </Button>
              <Group justify="space-between">
                <Button
                  variant="subtle"
                  size="compact-sm"
                  disabled={cooldown > 0 || busy}
                  onClick={() => sendCode()}
                >
                  {cooldown > 0 ? t('signIn.resendIn', { seconds: cooldown }) : t('signIn.resend')}
                </Button>
                <Button variant="subtle" size="compact-sm" color="gray" onClick={() => setChallengeId(null)}>
                  {t('signIn.changeAddress')}
                </Button>
              </Group>
              {demo && (
                <Alert color="orange" variant="light" data-testid="dev-mailbox-hint">
                  {t('signIn.demoHint')}{' '}
                  <Anchor component={Link} to={`/dev/mailbox?to=${encodeURIComponent(to)}`} target="_blank">
                    {t('devMailbox.link')}
                  </Anchor>
                </Alert>
              )}
            </Stack>
          )}
          {error && (
            <Alert color="red" role="alert" data-testid="sign-in-error">
              {error}
            </Alert>
          )}
        </Stack>
      </Card>
    </Stack>
  );
}
