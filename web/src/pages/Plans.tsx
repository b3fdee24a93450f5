import { Alert, Badge, Button, Card, Group, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api, isApiError, unwrap } from '../api/client.js';
import { useMe } from '../api/session.js';
import { formatMoney, type Money } from '../format.js';

function dataLabel(mb: number, t: TFunction) {
  return mb >= 1024 ? t('plans.gb', { n: Math.round((mb / 1024) * 10) / 10 }) : t('plans.mb', { n: mb });
}

/** Plans by destination (R2): search by country or region name; regional plans show every country they cover. */
export function Plans() {
  const { t, i18n } = useTranslation();
  const [search, setSearch] = useState('');
  const plans = useQuery({
    queryKey: ['plans', i18n.language],
    queryFn: () => unwrap(api.GET('/api/v1/plans')),
  });
  const me = useMe();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const canBuy = me.data?.role === 'subscriber' && me.data.status === 'active';
  const [buying, setBuying] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  async function buy(planId: string) {
    setBuying(planId);
    setError(null);
    try {
      const line = await unwrap(
        api.POST('/api/v1/me/lines', {
          body: { planId },
          params: { header: { 'idempotency-key': crypto.randomUUID() } },
        }),
      );
      void queryClient.invalidateQueries();
      navigate(`/lines/${line.id}`);
    } catch (e) {
      setError(isApiError(e) ? e.message : t('app.loadError'));
    } finally {
      setBuying(null);
    }
  }
  const shown = useMemo(() => {
    const q = search.trim().toLowerCase();
    const items = plans.data?.items ?? [];
    if (!q) return items;
    return items.filter(
      (p) =>
        p.name.toLowerCase().includes(q) ||
        p.countries.some((c) => c.toLowerCase() === q) ||
        p.countryNames.some((n) => n.toLowerCase().includes(q)),
    );
  }, [plans.data, search]);

  return (
    <Stack gap="lg" py="md">
      <Title order={2}>{t('plans.title')}</Title>
      <TextInput
        placeholder={t('plans.search')}
        aria-label={t('plans.search')}
        value={search}
        onChange={(e) => setSearch(e.currentTarget.value)}
        data-testid="plan-search"
        maw={420}
      />
      {error && (
        <Alert color="red" role="alert" data-testid="buy-error">
          {error}
        </Alert>
      )}
      {shown.length === 0 && !plans.isPending && <Text c="dimmed">{t('plans.none')}</Text>}
      <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }}>
        {shown.map((p) => (
          <Card key={p.id} withBorder radius="md" padding="lg" data-testid="plan-card">
            <Group justify="space-between" align="flex-start" wrap="nowrap">
              <Text fw={600}>{p.name}</Text>
              {p.region && (
                <Badge variant="light" color="grape">
                  {t('plans.region')}
                </Badge>
              )}
            </Group>
            <Text fz={28} fw={700} mt="xs">
              {formatMoney(p.price as Money, i18n.language)}
            </Text>
            <Group gap="xs" mt="xs">
              <Badge variant="outline">{dataLabel(p.dataMb, t)}</Badge>
              {p.voiceMinutes > 0 && (
                <Badge variant="outline">{t('plans.minutes', { n: p.voiceMinutes })}</Badge>
              )}
              {p.sms > 0 && <Badge variant="outline">{t('plans.sms', { n: p.sms })}</Badge>}
              <Badge variant="outline">{t('plans.days', { n: p.validityDays })}</Badge>
            </Group>
            <Text size="sm" c="dimmed" mt="sm" lineClamp={2}>
              {p.countryNames.join(' · ')}
            </Text>
            {canBuy && (
              <Button
                mt="md"
                fullWidth
                loading={buying === p.id}
                onClick={() => void buy(p.id)}
                data-testid="buy-plan"
              >
                {t('plans.buy')}
              </Button>
            )}
          </Card>
        ))}
      </SimpleGrid>
    </Stack>
  );
}
