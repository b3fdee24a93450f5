import { Alert, Badge, Button, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../../../api/client.js';
import { useApiMutation } from '../../../api/mutation.js';
import { formatDateTime, formatMoney } from '../../../format.js';
import { staffKeys } from '../keys.js';
import { loadCustomer } from './customer.js';
import { CustomerHistory } from './History.js';
import { CustomerHoldings } from './Holdings.js';
import { Adjust, WriteOff } from './Money.js';
import { Section } from './Section.js';

/** One customer on one page: who they are, what they have, their money and history; agents act on it. */
export function Customer360({ role }: { role: string }) {
  const { t, i18n } = useTranslation();
  const { id = '' } = useParams();
  const customer = useQuery({ queryKey: staffKeys.customer(id), queryFn: () => loadCustomer(id) });
  const invalidates = [staffKeys.customer(id)];
  const act = useApiMutation(
    (action: 'suspend' | 'resume') =>
      action === 'suspend'
        ? unwrap(api.POST('/api/v1/staff/accounts/{id}/suspend', { params: { path: { id } } }))
        : unwrap(api.POST('/api/v1/staff/accounts/{id}/resume', { params: { path: { id } } })),
    { invalidates },
  );
  const resend = useApiMutation(
    (messageId: string) =>
      unwrap(
        api.POST('/api/v1/staff/accounts/{id}/messages/{messageId}/resend', {
          params: { path: { id, messageId } },
        }),
      ),
    { invalidates },
  );
  const error = act.errorMessage ?? resend.errorMessage;
  if (customer.isError) return <Alert color="red">{t('app.loadError')}</Alert>;
  const c = customer.data;
  if (!c) return null;
  const { usage } = c;
  const agentish = role === 'agent' || role === 'admin';
  const toggle = c.status === 'active' ? 'suspend' : c.status === 'suspended' ? 'resume' : null;
  const when = (iso: string) => formatDateTime(iso, i18n.language);
  return (
    <Stack gap="md" data-testid="customer-360">
      <Button component={Link} to="/staff/customers" variant="subtle" size="compact-sm" w="fit-content">
        ← {t('customers.title')}
      </Button>
      <Card withBorder radius="md" padding="lg">
        <Group justify="space-between" align="flex-start">
          <div style={{ minWidth: 0, overflowWrap: 'anywhere' }}>
            <Title order={3} data-testid="customer-name">
              {c.email ?? c.phone ?? c.id}
            </Title>
            <Text size="sm" c="dimmed">
              {[c.email, c.phone].filter(Boolean).join(' · ')} · {c.id} ·{' '}
              {t(`languages.${c.locale}`, { defaultValue: c.locale })}
            </Text>
          </div>
          <Badge
            size="lg"
            variant="light"
            color={c.status === 'active' ? 'green' : 'orange'}
            data-testid="customer-status"
          >
            {t(`customers.status.${c.status}`)}
          </Badge>
        </Group>
        <SimpleGrid cols={{ base: 2, sm: 4 }} mt="md">
          <div>
            <Text size="xs" c="dimmed">
              {t('customers.balance')}
            </Text>
            <Text fw={700} data-testid="customer-balance">
              {formatMoney(c.balance, i18n.language)}
            </Text>
          </div>
          <div>
            <Text size="xs" c="dimmed">
              {t('customers.arrears')}
            </Text>
            <Text fw={700} c={c.arrears.amount ? 'red' : undefined}>
              {formatMoney(c.arrears, i18n.language)}
            </Text>
          </div>
          <div>
            <Text size="xs" c="dimmed">
              {t('customers.usage30')}
            </Text>
            <Text size="sm">
              {t('customers.usageLine', {
                mb: Math.round(usage.dataBytes / 1_048_576),
                min: Math.ceil(usage.voiceSeconds / 60),
                sms: usage.smsCount,
              })}
            </Text>
          </div>
          <div>
            <Text size="xs" c="dimmed">
              {t('customers.since')}
            </Text>
            <Text size="sm">{when(c.createdAt)}</Text>
          </div>
        </SimpleGrid>
        {agentish && (
          <Group mt="md" gap="xs">
            {toggle && (
              <Button
                color={toggle === 'suspend' ? 'red' : undefined}
                variant="light"
                size="compact-sm"
                onClick={() => act.mutate(toggle)}
                data-testid={`customer-${toggle}`}
              >
                {t(`customers.${toggle}`)}
              </Button>
            )}
          </Group>
        )}
        {error && (
          <Alert color="red" mt="sm">
            {error}
          </Alert>
        )}
      </Card>
      <CustomerHoldings customer={c} />
      {agentish && (
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <Section title={t('customers.adjustment.title')}>
            <Adjust accountId={c.id} currency={c.balance.currency} />
          </Section>
          <Section title={t('customers.writeOff.title')}>
            <WriteOff
              accountId={c.id}
              currency={c.balance.currency}
              closing={c.status === 'cancellation_pending'}
              arrears={c.arrears}
            />
          </Section>
        </SimpleGrid>
      )}
      <CustomerHistory customer={c} agentish={agentish} onResend={(messageId) => resend.mutate(messageId)} />
    </Stack>
  );
}
