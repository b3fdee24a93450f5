import { Card, Group, SegmentedControl, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client.js';
import { keys } from '../api/keys.js';
import { countryName, formatDateTime, formatMoney, type Money } from '../format.js';

type Kind = 'data' | 'voice' | 'sms';

/** Bars per day, drawn as plain SVG so the page needs no chart library. */
function DayBars({
  days,
  label,
}: {
  days: Array<{ day: string; value: number }>;
  label: (n: number) => string;
}) {
  const max = Math.max(1, ...days.map((d) => d.value));
  const width = 28;
  return (
    <svg
      viewBox={`0 0 ${Math.max(7, days.length) * width} 140`}
      width="100%"
      height={160}
      role="img"
      aria-label={days.map((d) => `${d.day}: ${label(d.value)}`).join(', ')}
      data-testid="usage-chart"
    >
      {days.map((d, i) => {
        const h = Math.round((d.value / max) * 110);
        return (
          <g key={d.day}>
            <rect
              x={i * width + 4}
              y={120 - h}
              width={width - 8}
              height={h}
              rx={3}
              fill="var(--mantine-color-blue-6)"
            />
            <text
              x={i * width + width / 2}
              y={134}
              fontSize={9}
              textAnchor="middle"
              fill="var(--mantine-color-dimmed)"
            >
              {d.day.slice(5)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/** What one record counts for in the totals: megabytes, started minutes, or one message. */
function measured(r: { bytes?: number | null; durationSeconds?: number | null }, kind: Kind): number {
  if (kind === 'data') return (r.bytes ?? 0) / 1024 ** 2;
  if (kind === 'voice') return Math.ceil((r.durationSeconds ?? 0) / 60);
  return 1;
}

export function Usage() {
  const { t, i18n } = useTranslation();
  const [kind, setKind] = useState<Kind>('data');
  const usage = useQuery({
    queryKey: keys.usage(kind),
    queryFn: () => unwrap(api.GET('/api/v1/me/usage', { params: { query: { type: kind, limit: 200 } } })),
  });
  const items = usage.data?.items ?? [];
  const days = useMemo(() => {
    const totals = new Map<string, number>();
    for (const r of items) {
      const day = r.startedAt.slice(0, 10);
      totals.set(day, (totals.get(day) ?? 0) + measured(r, kind));
    }
    return [...totals].sort(([a], [b]) => a.localeCompare(b)).map(([day, value]) => ({ day, value }));
  }, [items, kind]);
  // Totals per calendar month (UTC): what was used and what it cost beyond the plan.
  const months = useMemo(() => {
    const totals = new Map<string, { value: number; charge: Money }>();
    for (const r of items) {
      const month = r.startedAt.slice(0, 7);
      const value = measured(r, kind);
      const charge = r.charge as Money;
      const total = totals.get(month) ?? { value: 0, charge: { amount: 0, currency: charge.currency } };
      total.value += value;
      total.charge = { amount: total.charge.amount + charge.amount, currency: charge.currency };
      totals.set(month, total);
    }
    return [...totals].sort(([a], [b]) => b.localeCompare(a)).map(([month, v]) => ({ month, ...v }));
  }, [items, kind]);
  const phone = useMediaQuery('(max-width: 48em)', false, { getInitialValueInEffect: false });
  const unit = (n: number) =>
    kind === 'data'
      ? `${n.toFixed(1)} MB`
      : kind === 'voice'
        ? t('plans.minutes', { n })
        : t('plans.sms', { n });
  const duration = (seconds: number) =>
    seconds >= 60
      ? t('usage.duration', { min: Math.floor(seconds / 60), s: seconds % 60 })
      : t('usage.durationSeconds', { s: seconds });
  const amount = (r: (typeof items)[number]) =>
    kind === 'data'
      ? `${((r.bytes ?? 0) / 1024 ** 2).toFixed(1)} MB`
      : kind === 'voice'
        ? duration(r.durationSeconds ?? 0)
        : t('plans.sms', { n: 1 });
  // A phone's record in one line: "3 min 5 s · to +86…", "1 SMS · to +86…".
  const recordLine = (r: (typeof items)[number]) => {
    const number = r.counterpart ?? '—';
    const out = r.direction !== 'in';
    if (kind === 'sms') return t(out ? 'usage.smsTo' : 'usage.smsFrom', { number });
    return t(out ? 'usage.callTo' : 'usage.callFrom', { duration: amount(r), number });
  };

  return (
    <Stack gap="lg" py="md">
      <Title order={2}>{t('usage.title')}</Title>
      <SegmentedControl
        value={kind}
        onChange={(v) => setKind(v as Kind)}
        data={[
          { value: 'data', label: t('lines.data') },
          { value: 'voice', label: t('lines.voice') },
          { value: 'sms', label: t('lines.sms') },
        ]}
        data-testid="usage-kind"
      />
      <Card withBorder radius="md" padding="lg">
        <Text fw={600} mb="sm">
          {t('usage.perDay')}
        </Text>
        {days.length === 0 ? <Text c="dimmed">{t('usage.none')}</Text> : <DayBars days={days} label={unit} />}
      </Card>
      {months.length > 0 && (
        <SimpleGrid cols={{ base: 2, sm: 4 }} data-testid="usage-totals">
          {months.map((m) => (
            <Card key={m.month} withBorder radius="md" padding="sm">
              <Text size="xs" c="dimmed">
                {new Intl.DateTimeFormat(i18n.language, { year: 'numeric', month: 'long' }).format(
                  new Date(`${m.month}-01T00:00:00Z`),
                )}
              </Text>
              <Text fw={700}>{unit(m.value)}</Text>
              <Text size="xs" c="dimmed">
                {t('usage.charged', { amount: formatMoney(m.charge, i18n.language) })}
              </Text>
            </Card>
          ))}
        </SimpleGrid>
      )}
      {months.length > 0 && kind === 'voice' && (
        <Text size="xs" c="dimmed" data-testid="usage-rounding">
          {t('usage.roundingHint')}
        </Text>
      )}
      {items.length > 0 && phone && (
        <Stack gap="xs" data-testid="usage-table">
          {items.map((r) => (
            <Card key={r.id} withBorder radius="md" padding="sm" data-testid="usage-record">
              <Group justify="space-between" wrap="nowrap" align="flex-start">
                <div style={{ minWidth: 0 }}>
                  <Text size="sm" fw={600}>
                    {kind === 'data' ? amount(r) : recordLine(r)}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {formatDateTime(r.startedAt, i18n.language)} · {countryName(r.country, i18n.language)}
                  </Text>
                </div>
                <Text size="sm" style={{ flexShrink: 0 }}>
                  {formatMoney(r.charge as Money, i18n.language)}
                </Text>
              </Group>
            </Card>
          ))}
        </Stack>
      )}
      {items.length > 0 && !phone && (
        <Card withBorder radius="md" padding="lg">
          <Table.ScrollContainer minWidth={520}>
            <Table striped data-testid="usage-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('wallet.when')}</Table.Th>
                  {kind !== 'data' && <Table.Th>{t('usage.number')}</Table.Th>}
                  <Table.Th>{t('usage.amount')}</Table.Th>
                  <Table.Th>{t('usage.country')}</Table.Th>
                  <Table.Th ta="right">{t('usage.charge')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((r) => (
                  <Table.Tr key={r.id} data-testid="usage-record">
                    <Table.Td>{formatDateTime(r.startedAt, i18n.language)}</Table.Td>
                    {kind !== 'data' && (
                      <Table.Td>
                        {r.direction === 'in' ? '← ' : '→ '}
                        {r.counterpart ?? '—'}
                      </Table.Td>
                    )}
                    <Table.Td>{amount(r)}</Table.Td>
                    <Table.Td>{countryName(r.country, i18n.language)}</Table.Td>
                    <Table.Td ta="right">{formatMoney(r.charge as Money, i18n.language)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Card>
      )}
    </Stack>
  );
}
