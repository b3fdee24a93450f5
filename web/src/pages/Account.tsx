import { Alert, Badge, Button, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { Me } from '../api/session.js';
import { useSignOut } from '../api/session.js';

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
      <Card withBorder radius="md" padding="lg">
        <Text fw={600}>{t('account.manage')}</Text>
        <Group mt="sm">
          <Button component={Link} to="/backup" variant="default">
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
