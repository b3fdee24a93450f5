import { Button, Card, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useIntersection, useMediaQuery } from '@mantine/hooks';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client.js';
import { keys } from '../../api/keys.js';
import { formatDateTime, formatMoney, type Money } from '../../format.js';
import { statementWhat } from '../../statement-what.js';

/** Money in green, money out in red. */
const amountColor = (m: Money) => `var(--mantine-color-${m.amount < 0 ? 'red' : 'green'}-light-color)`;

type Line = Parameters<typeof statementWhat>[0] & { createdAt: string };

/** A statement line's description (what it bought, whom it paid) above its date and time. */
function WhatAndWhen({ line }: { line: Line }) {
  const { t, i18n } = useTranslation();
  return (
    <>
      <Text size="sm" fw={500}>
        {statementWhat(line, t)}
      </Text>
      <Text size="xs" c="dimmed">
        {formatDateTime(line.createdAt, i18n.language)}
      </Text>
    </>
  );
}

/** Every movement of the balance, newest first, one page at a time. */
export function Statement() {
  const { t, i18n } = useTranslation();
  const phone = useMediaQuery('(max-width: 48em)', false, { getInitialValueInEffect: false });
  const statement = useInfiniteQuery({
    queryKey: keys.wallet.statement,
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(api.GET('/api/v1/me/ledger', { params: { query: { limit: 20, cursor: pageParam } } })),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const lines = statement.data?.pages.flatMap((p) => p.items) ?? [];
  // Infinite scroll: the next page loads when the "show more" button scrolls into view; the button
  // stays for keyboards and for screens tall enough to show it at once.
  const { ref: sentinel, entry } = useIntersection({ rootMargin: '200px' });
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = statement;
  useEffect(() => {
    if (entry?.isIntersecting && hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [entry?.isIntersecting, hasNextPage, isFetchingNextPage, fetchNextPage]);
  return (
    <Card withBorder radius="md" padding="lg">
      <Title order={3} size="h4" mb="sm">
        {t('wallet.statement')}
      </Title>
      {lines.length === 0 && !statement.isPending && <Text c="dimmed">{t('wallet.noLines')}</Text>}
      {lines.length > 0 && phone && (
        // Phones get a list: what and when on the left, the amount and the balance after on the right.
        <Stack gap={0} data-testid="statement">
          {lines.map((l) => (
            <Group
              key={l.id}
              justify="space-between"
              wrap="nowrap"
              align="flex-start"
              py="xs"
              style={{ borderBottom: '1px solid var(--mantine-color-gray-2)' }}
              data-testid="statement-line"
            >
              <div style={{ minWidth: 0 }}>
                <WhatAndWhen line={l} />
              </div>
              <div style={{ textAlign: 'right', flexShrink: 0 }}>
                <Text size="sm" fw={600} style={{ color: amountColor(l.amount as Money) }}>
                  {formatMoney(l.amount as Money, i18n.language)}
                </Text>
                <Text size="xs" c="dimmed">
                  {t('wallet.balanceAfter')} {formatMoney(l.balanceAfter as Money, i18n.language)}
                </Text>
              </div>
            </Group>
          ))}
        </Stack>
      )}
      {lines.length > 0 && !phone && (
        <Table.ScrollContainer minWidth={320}>
          <Table striped data-testid="statement">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('wallet.what')}</Table.Th>
                <Table.Th ta="right">{t('wallet.amount')}</Table.Th>
                <Table.Th ta="right">{t('wallet.balanceAfter')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {lines.map((l) => (
                <Table.Tr key={l.id} data-testid="statement-line">
                  <Table.Td>
                    <WhatAndWhen line={l} />
                  </Table.Td>
                  <Table.Td ta="right" style={{ color: amountColor(l.amount as Money) }}>
                    {formatMoney(l.amount as Money, i18n.language)}
                  </Table.Td>
                  <Table.Td ta="right">{formatMoney(l.balanceAfter as Money, i18n.language)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {statement.hasNextPage && (
        <Button
          ref={sentinel}
          variant="subtle"
          mt="sm"
          loading={statement.isFetchingNextPage}
          onClick={() => void statement.fetchNextPage()}
        >
          {t('wallet.more')}
        </Button>
      )}
    </Card>
  );
}
