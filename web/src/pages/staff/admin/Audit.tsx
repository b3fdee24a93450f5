import { Alert, Button, Card, Code, Group, Table, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { api, unwrap } from '../../../api/client.js';
import { formatDateTime } from '../../../format.js';
import { actionLabel } from '../labels.js';

/** The audit log, filtered by action, actor or account (filters kept in the address). */
export function AuditPage() {
  const { t, i18n } = useTranslation();
  const [params, setParams] = useSearchParams();
  const filter = {
    action: params.get('action') || undefined,
    actor: params.get('actor') || undefined,
    account: params.get('account') || undefined,
  };
  const [draft, setDraft] = useState({
    action: filter.action ?? '',
    actor: filter.actor ?? '',
    account: filter.account ?? '',
  });
  const audit = useQuery({
    queryKey: ['audit', filter],
    queryFn: () => unwrap(api.GET('/api/v1/staff/audit', { params: { query: { ...filter, limit: 100 } } })),
  });
  function apply(event: FormEvent) {
    event.preventDefault();
    setParams(Object.fromEntries(Object.entries(draft).filter(([, v]) => v.trim())));
  }
  return (
    <Card withBorder radius="md" padding="lg">
      <Title order={3} size="h4" mb="md">
        {t('staff.audit')}
      </Title>
      <Group component="form" onSubmit={apply} align="flex-end" mb="md" wrap="wrap">
        <TextInput
          label={t('staff.action')}
          placeholder="cancellation."
          value={draft.action}
          onChange={(e) => setDraft({ ...draft, action: e.currentTarget.value })}
        />
        <TextInput
          label={t('staff.actor')}
          placeholder={t('staff.actorPlaceholder')}
          value={draft.actor}
          onChange={(e) => setDraft({ ...draft, actor: e.currentTarget.value })}
        />
        <TextInput
          label={t('staff.account')}
          placeholder="acc_…"
          value={draft.account}
          onChange={(e) => setDraft({ ...draft, account: e.currentTarget.value })}
        />
        <Button type="submit" variant="light">
          {t('staff.filter')}
        </Button>
      </Group>
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
                <Table.Td>{formatDateTime(row.createdAt, i18n.language)}</Table.Td>
                <Table.Td>
                  <Text size="sm">{row.actor.email ?? t(`staff.actorType.${row.actor.type}`)}</Text>
                  {row.actor.id && !row.actor.email && <Code fz="xs">{row.actor.id}</Code>}
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{actionLabel(row.action, t)}</Text>
                  <Code fz="xs">{row.action}</Code>
                </Table.Td>
                <Table.Td>
                  <Code fz="xs">{row.subject.id}</Code>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Card>
  );
}
