import { Alert, Badge, Card, Code, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client.js';
import type { Me } from '../api/session.js';
import { AccountSummary, SignOutButton } from './Account.js';
import { ReviewQueue } from './ReviewQueue.js';

function AuditTrail() {
  const { t, i18n } = useTranslation();
  const audit = useQuery({
    queryKey: ['audit'],
    queryFn: () => unwrap(api.GET('/api/v1/staff/audit', { params: { query: { limit: 50 } } })),
  });
  const when = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'short', timeStyle: 'medium' });
  return (
    <Card withBorder radius="md" padding="lg">
      <Title order={3} size="h4" mb="md">
        {t('staff.audit')}
      </Title>
      {audit.isError && <Alert color="red">{t('app.loadError')}</Alert>}
      <Table.ScrollContainer minWidth={640}>
        <Table striped highlightOnHover data-testid="audit-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('staff.when')}</Table.Th>
              <Table.Th>{t('staff.actor')}</Table.Th>
              <Table.Th>{t('staff.action')}</Table.Th>
              <Table.Th>{t('staff.subject')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {audit.data?.items.map((row) => (
              <Table.Tr key={row.id}>
                <Table.Td>{when.format(new Date(row.createdAt))}</Table.Td>
                <Table.Td>
                  <Text size="sm">{t(`staff.actorType.${row.actor.type}`)}</Text>
                  {row.actor.id && (
                    <Text size="xs" c="dimmed">
                      {row.actor.id}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <Code>{row.action}</Code>
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{row.subject.id}</Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Card>
  );
}

export function Staff({ me }: { me: Me }) {
  const { t } = useTranslation();
  return (
    <Stack gap="lg" py="md">
      <Group justify="space-between">
        <Title order={2} data-testid="staff-title">
          {t('staff.title')}
        </Title>
        <Badge size="lg" variant="light">
          {t(`staff.role.${me.role}`)}
        </Badge>
      </Group>
      <AccountSummary me={me} />
      {(me.role === 'reviewer' || me.role === 'admin') && <ReviewQueue />}
      {me.role === 'admin' ? <AuditTrail /> : <Text c="dimmed">{t('staff.moreSoon')}</Text>}
      <Group>
        <SignOutButton />
      </Group>
    </Stack>
  );
}
