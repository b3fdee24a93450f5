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
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, useLocation, useNavigate } from 'react-router';
import { api, isApiError, unwrap } from '../api/client.js';
import { useMeta } from '../api/meta.js';
import { landingAfterSignIn, useMe } from '../api/session.js';

const RESEND_SECONDS = 60;

type Channel = 'email' | 'sms';

export function SignIn() {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const { search } = useLocation();
  const queryClient = useQueryClient();
  const me = useMe();
  const meta = useMeta();
  const [channel, setChannel] = useState<Channel>('email');
  const [to, setTo] = useState('');
  const [challengeId, setChallengeId] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [cooldown, setCooldown] = useState(0);

  useEffect(() => {
    if (cooldown <= 0) return;
    const timer = setTimeout(() => setCooldown((c) => c - 1), 1000);
    return () => clearTimeout(timer);
  }, [cooldown]);

  if (me.data) return <Navigate to={landingAfterSignIn(me.data.role, search)} replace />;

  async function sendCode(event?: FormEvent) {
    event?.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const result = await unwrap(api.POST('/api/v1/auth/codes', { body: { channel, to } }));
      setChallengeId(result.challengeId);
      setCode('');
      setCooldown(RESEND_SECONDS);
    } catch (e) {
      setError(isApiError(e) ? e.message : t('app.loadError'));
    } finally {
      setBusy(false);
    }
  }

  async function verify(value = code) {
    if (!challengeId || value.length !== 6) return;
    setError(null);
    setBusy(true);
    try {
      const session = await unwrap(
        api.POST('/api/v1/auth/sessions', { body: { challengeId, code: value, locale: i18n.language } }),
      );
      queryClient.setQueryData(['me'], session.account);
      navigate(landingAfterSignIn(session.account.role, search), { replace: true });
    } catch (e) {
      setError(isApiError(e) ? e.message : t('app.loadError'));
      if (
        isApiError(e) &&
        ['CODE_EXPIRED', 'TOO_MANY_ATTEMPTS', 'CHALLENGE_NOT_FOUND', 'FRESH_CODE_REQUIRED'].includes(e.code)
      ) {
        setChallengeId(null);
      }
    } finally {
      setBusy(false);
    }
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
                    setTo('');
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
                  value={to}
                  onChange={(e) => setTo(e.currentTarget.value)}
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
                  onComplete={(value) => void verify(value)}
                  aria-label={t('signIn.code')}
                  data-testid="code-input"
                  autoFocus
                />
              </Group>
              <Button
                onClick={() => void verify()}
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
                  onClick={() => void sendCode()}
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
