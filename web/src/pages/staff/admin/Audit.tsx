import { Alert, Button, Card, Code, Group, Table, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { api, unwrap } from '../../../api/client.js';
import { formatDateTime } from '../../../format.js';
import { staffKeys } from '../keys.js';
import { actionLabel } from '../labels.js';
import { StaffTable } from '../StaffTable.js';

const FILTERS = ['action', 'actor', 'account'] as const;
type Field = (typeof FILTERS)[number];

/** The audit log, filtered by action, actor or account (filters kept in the address). */
export function AuditPage() {
  const { t, i18n } = useTranslation();
  const [params, setParams] = useSearchParams();
  const filter = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) || undefined])) as Record<
    Field,
    string | undefined
  >;
  const [draft, setDraft] = useState(
    () => Object.fromEntries(FILTERS.map((f) => [f, filter[f] ?? ''])) as Record<Field, string>,
  );
  const audit = useQuery({
    queryKey: staffKeys.audit(filter),
    queryFn: () => unwrap(api.GET('/api/v1/staff/audit', { params: { query: { ...filter, limit: 100 } } })),
  });
  function apply(event: FormEvent) {
    event.preventDefault();
    setParams(Object.fromEntries(Object.entries(draft).filter(([, v]) => v.trim())));
  }
  const placeholders = { action: 'cancellation.', actor: t('staff.actorPlaceholder'), account: 'acc_…' };
  return (
    <Card withBorder radius="md" padding="lg">
      <Title order={3} size="h4" mb="md">
        {t('staff.audit')}
      </Title>
      <Group component="form" onSubmit={apply} align="flex-end" mb="md" wrap="wrap">
        {FILTERS.map((f) => (
          <TextInput
            key={f}
            label={t(`staff.${f}`)}
            placeholder={placeholders[f]}
            value={draft[f]}
            onChange={(e) => setDraft({ ...draft, [f]: e.currentTarget.value })}
          />
        ))}
        <Button type="submit" variant="light">
          {t('staff.filter')}
        </Button>
      </Group>
      {audit.isError && <Alert color="red">{t('app.loadError')}</Alert>}
      <StaffTable
        heads={[t('staff.when'), t('staff.actor'), t('staff.action'), t('staff.subject')]}
        minWidth={640}
        testId="audit-table"
        highlightOnHover
      >
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
      </StaffTable>
    </Card>
  );
}
