import { Alert, Button, Card, Group, Select, SimpleGrid, Stack, Text } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, isApiError, unwrap } from '../api/client.js';
import { formatMoney, type Money } from '../format.js';

/** Preferred partner network per country (R3). */
export function NetworkPicker({ lineId, planId }: { lineId: string; planId: string }) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const plan = useQuery({
    queryKey: ['plan', planId, i18n.language],
    queryFn: () => unwrap(api.GET('/api/v1/plans/{id}', { params: { path: { id: planId } } })),
  });
  const [country, setCountry] = useState<string | null>(null);
  const chosen = country ?? plan.data?.countries[0] ?? null;
  const networks = useQuery({
    queryKey: ['networks', lineId, chosen],
    enabled: chosen !== null,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/me/lines/{id}/networks', {
          params: { path: { id: lineId }, query: { country: chosen ?? '' } },
        }),
      ),
  });
  const prefer = useMutation({
    mutationFn: (plmn: string) =>
      unwrap(
        api.PUT('/api/v1/me/lines/{id}/networks/{country}', {
          params: { path: { id: lineId, country: chosen ?? '' } },
          body: { plmn },
        }),
      ),
    onSuccess: (data) => queryClient.setQueryData(['networks', lineId, chosen], data),
  });
  if (!plan.data) return null;
  return (
    <Card withBorder radius="md" padding="lg">
      <Text fw={600} mb="sm">
        {t('extras.network')}
      </Text>
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <Select
          label={t('extras.country')}
          value={chosen}
          onChange={setCountry}
          allowDeselect={false}
          searchable
          data={plan.data.countries.map((c, i) => ({ value: c, label: plan.data.countryNames[i] ?? c }))}
          data-testid="network-country"
        />
        <Select
          label={t('extras.operator')}
          placeholder={t('extras.automatic')}
          value={networks.data?.preferred ?? null}
          onChange={(plmn) => plmn && prefer.mutate(plmn)}
          data={(networks.data?.networks ?? []).map((n) => ({
            value: n.plmn,
            label: `${n.name} (${n.mcc}-${n.mnc})`,
          }))}
          data-testid="network-operator"
        />
      </SimpleGrid>
      {prefer.isSuccess && (
        <Text size="sm" c="green.8" mt="xs" data-testid="network-saved">
          {t('extras.networkSaved')}
        </Text>
      )}
    </Card>
  );
}

/** Add-ons for an active line (R12). */
export function AddonShop({ lineId, active }: { lineId: string; active: boolean }) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const addons = useQuery({
    queryKey: ['addons', i18n.language],
    queryFn: () => unwrap(api.GET('/api/v1/addons')),
  });
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const buy = useMutation({
    mutationFn: (addonId: string) =>
      unwrap(
        api.POST('/api/v1/me/lines/{id}/addons', {
          params: { path: { id: lineId }, header: { 'idempotency-key': crypto.randomUUID() } },
          body: { addonId },
        }),
      ),
    onSuccess: (r) => {
      setDone(t('extras.addonDone', { name: r.addon.name }));
      void queryClient.invalidateQueries();
    },
    onError: (e) => setError(isApiError(e) ? e.message : t('app.loadError')),
  });
  return (
    <Card withBorder radius="md" padding="lg">
      <Text fw={600}>{t('extras.addons')}</Text>
      {!active && (
        <Text size="sm" c="dimmed">
          {t('extras.addonsWhenActive')}
        </Text>
      )}
      <Stack gap="xs" mt="sm">
        {addons.data?.items.map((a) => (
          <Group key={a.id} justify="space-between">
            <Text size="sm">{a.name}</Text>
            <Button
              size="compact-sm"
              variant="light"
              disabled={!active}
              loading={buy.isPending && buy.variables === a.id}
              onClick={() => buy.mutate(a.id)}
              data-testid={`addon-${a.code}`}
            >
              {formatMoney(a.price as Money, i18n.language)}
            </Button>
          </Group>
        ))}
      </Stack>
      {done && (
        <Alert color="green" mt="sm" data-testid="addon-done">
          {done}
        </Alert>
      )}
      {error && (
        <Alert color="red" mt="sm">
          {error}
        </Alert>
      )}
    </Card>
  );
}
