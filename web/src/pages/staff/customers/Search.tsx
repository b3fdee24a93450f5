import { Anchor, Badge, Button, Group, Table, Text, TextInput } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api, unwrap } from '../../../api/client.js';
import { formatDateTime } from '../../../format.js';
import { staffKeys } from '../keys.js';
import { StaffCard } from '../StaffCard.js';

/** Find a customer by email, phone or id (the query stays in the address, so a search can be shared). */
export function CustomerSearch() {
  const { t, i18n } = useTranslation();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const [draft, setDraft] = useState(q);
  const results = useQuery({
    queryKey: staffKeys.customers.search(q),
    enabled: q.trim().length >= 3,
    queryFn: () => unwrap(api.GET('/api/v1/staff/accounts', { params: { query: { q } } })),
  });
  function search(event: FormEvent) {
    event.preventDefault();
    setParams({ q: draft.trim() });
  }
  return (
    <StaffCard title={t('customers.title')}>
      <Group component="form" onSubmit={search} align="flex-end" wrap="nowrap">
        <TextInput
          style={{ flex: 1 }}
          label={t('customers.search')}
          description={t('customers.searchHint')}
          value={draft}
          onChange={(e) => setDraft(e.currentTarget.value)}
          data-testid="customer-search"
        />
        <Button type="submit" disabled={draft.trim().length < 3} data-testid="customer-search-go">
          {t('customers.find')}
        </Button>
      </Group>
      {results.data?.items.length === 0 && <Text c="dimmed">{t('customers.none')}</Text>}
      {results.data && results.data.items.length > 0 && (
        <Table striped highlightOnHover data-testid="customer-results">
          <Table.Tbody>
            {results.data.items.map((c) => (
              <Table.Tr key={c.id}>
                <Table.Td>
                  <Anchor
                    component={Link}
                    to={`/staff/customers/${c.id}`}
                    fw={500}
                    data-testid="customer-result"
                  >
                    {c.email ?? c.phone ?? c.id}
                  </Anchor>
                  <Text size="xs" c="dimmed">
                    {c.id} · {t('customers.matchedBy', { how: t(`customers.matchedHow.${c.matchedBy}`) })}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Badge variant="light">{t(`customers.status.${c.status}`)}</Badge>
                </Table.Td>
                <Table.Td>{formatDateTime(c.createdAt, i18n.language)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </StaffCard>
  );
}
