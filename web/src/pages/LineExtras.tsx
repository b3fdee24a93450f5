import { Alert, Button, Card, Group, Select, SimpleGrid, Stack, Text } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, isApiError, unwrap } from '../api/client.js';
import { keys } from '../api/keys.js';
import { errorMessageOf, useApiMutation } from '../api/mutation.js';
import { Checkout } from '../components/Checkout.js';
import { formatDateTime, formatMoney, type Money } from '../format.js';
import { dataLabel, usePlans } from './Plans.js';

/** Preferred partner network per country (R3). */
export function NetworkPicker({ lineId, planId }: { lineId: string; planId: string }) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const plan = useQuery({
    queryKey: keys.plans.one(planId, i18n.language),
    queryFn: () => unwrap(api.GET('/api/v1/plans/{id}', { params: { path: { id: planId } } })),
  });
  const [country, setCountry] = useState<string | null>(null);
  const chosen = country ?? plan.data?.countries[0] ?? null;
  const networks = useQuery({
    queryKey: keys.networks(lineId, chosen),
    enabled: chosen !== null,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/me/lines/{id}/networks', {
          params: { path: { id: lineId }, query: { country: chosen ?? '' } },
        }),
      ),
  });
  const prefer = useApiMutation(
    (plmn: string) =>
      unwrap(
        api.PUT('/api/v1/me/lines/{id}/networks/{country}', {
          params: { path: { id: lineId, country: chosen ?? '' } },
          body: { plmn },
        }),
      ),
    { onSuccess: (data) => queryClient.setQueryData(keys.networks(lineId, chosen), data) },
  );
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
  const addons = useQuery({
    queryKey: keys.addons(i18n.language),
    queryFn: () => unwrap(api.GET('/api/v1/addons')),
  });
  const [done, setDone] = useState<string | null>(null);
  // Each add-on is confirmed in the checkout sheet (price, balance before and after, top up if short).
  const [confirming, setConfirming] = useState<string | null>(null);
  const chosen = addons.data?.items.find((a) => a.id === confirming);
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
              onClick={() => {
                setDone(null);
                setConfirming(a.id);
              }}
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
      <Checkout
        opened={!!chosen}
        onClose={() => setConfirming(null)}
        title={chosen?.name ?? ''}
        facts={chosen ? addonFacts(chosen, t) : []}
        price={(chosen?.price as Money | undefined) ?? null}
        resumable={chosen ? { kind: 'addon', lineId, addonId: chosen.id } : undefined}
        purchase={(key) =>
          unwrap(
            api.POST('/api/v1/me/lines/{id}/addons', {
              params: { path: { id: lineId }, header: { 'idempotency-key': key } },
              body: { addonId: chosen?.id ?? '' },
            }),
          )
        }
        onDone={(r) => {
          setConfirming(null);
          setDone(t('extras.addonDone', { name: (r as { addon: { name: string } }).addon.name }));
        }}
      />
    </Card>
  );
}

function addonFacts(a: { dataMb: number; voiceMinutes: number; sms: number }, t: TFunction) {
  const parts = [
    a.dataMb > 0 ? dataLabel(a.dataMb, t) : null,
    a.voiceMinutes > 0 ? t('plans.minutes', { n: a.voiceMinutes }) : null,
    a.sms > 0 ? t('plans.sms', { n: a.sms }) : null,
  ].filter(Boolean);
  return [
    { label: t('checkout.allowance'), value: parts.join(' · ') },
    { label: t('checkout.validity'), value: t('checkout.addonValidity') },
  ];
}

/**
 * Change the line's plan (R12). The quote says what is credited and why (the most-used measure of the
 * current plan, docs/plan-changes.md) before confirming; the confirmation sends the amount shown
 * (`maxToPay`), so a change that became dearer meanwhile is refused and the new quote is shown instead.
 */
export function PlanChange({ lineId, planId, active }: { lineId: string; planId: string; active: boolean }) {
  const { t, i18n } = useTranslation();
  const plans = usePlans();
  const [target, setTarget] = useState<string | null>(null);
  const quote = useQuery({
    queryKey: keys.planChange(lineId, target),
    enabled: target !== null && active,
    retry: false,
    // Time counts in started hours and usage keeps arriving: keep the quote on screen current.
    refetchInterval: 60_000,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/me/lines/{id}/plan-change', {
          params: { path: { id: lineId }, query: { planId: target ?? '' } },
        }),
      ),
  });
  // One idempotency key per quote shown: a retry of the same confirmation is answered once, and a
  // later change back and forth is a new change.
  const quotedAt = quote.data?.quotedAt;
  const [key, setKey] = useState(() => crypto.randomUUID());
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new key for each new quote
  useEffect(() => setKey(crypto.randomUUID()), [target, quotedAt]);
  const change = useApiMutation(
    () =>
      unwrap(
        api.POST('/api/v1/me/lines/{id}/plan-change', {
          params: { path: { id: lineId }, header: { 'idempotency-key': key } },
          body: { planId: target ?? '', maxToPay: quote.data?.toPay.amount ?? 0 },
        }),
      ),
    {
      invalidates: 'all',
      onSuccess: () => setTarget(null),
      onError: (e) => {
        if (isApiError(e) && e.code === 'QUOTE_CHANGED') void quote.refetch();
      },
    },
  );
  const fmt = (m: Money) => formatMoney(m, i18n.language);
  const percent = (share: number) =>
    new Intl.NumberFormat(i18n.language, { style: 'percent', maximumFractionDigits: 1 }).format(share);
  const q = quote.data;
  return (
    <Card withBorder radius="md" padding="lg">
      <Text fw={600}>{t('extras.planChange')}</Text>
      {!active ? (
        <Text size="sm" c="dimmed">
          {t('extras.planChangeWhenActive')}
        </Text>
      ) : (
        <Stack gap="sm" mt="sm">
          <Select
            placeholder={t('extras.choosePlan')}
            value={target}
            onChange={(value) => {
              change.reset();
              setTarget(value);
            }}
            searchable
            data={(plans.data?.items ?? [])
              .filter((p) => p.id !== planId)
              .map((p) => ({ value: p.id, label: `${p.name} · ${fmt(p.price as Money)}` }))}
            data-testid="plan-change-select"
          />
          {q && (
            <Stack gap={4} data-testid="plan-change-quote">
              <Text size="sm">
                {t('extras.quote', {
                  price: fmt(q.price as Money),
                  credit: fmt(q.credit as Money),
                  toPay: fmt(q.toPay as Money),
                  days: q.validityDays,
                })}
              </Text>
              <Text size="sm" c="dimmed" data-testid="plan-change-used">
                {q.used.by
                  ? t('extras.quoteUsed', {
                      share: percent(q.used.share),
                      by: t(`extras.measure.${q.used.by}`),
                      paid: fmt(q.paid as Money),
                      credit: fmt(q.credit as Money),
                    })
                  : t('extras.quoteUnused', { paid: fmt(q.paid as Money) })}
              </Text>
              <Text size="sm" c="dimmed">
                {t('extras.quoteEnds', { date: formatDateTime(q.expiresAt, i18n.language) })}
              </Text>
              {q.creditForfeited.amount > 0 && (
                <Text size="sm" c="orange.8" data-testid="plan-change-forfeited">
                  {t('extras.quoteForfeited', { amount: fmt(q.creditForfeited as Money) })}
                </Text>
              )}
            </Stack>
          )}
          {quote.error && <Alert color="red">{errorMessageOf(quote.error, t)}</Alert>}
          <Button
            disabled={!q || quote.isFetching}
            loading={change.isPending}
            onClick={() => change.mutate()}
            data-testid="plan-change-confirm"
          >
            {t('extras.changeNow')}
          </Button>
          {change.errorMessage && <Alert color="red">{change.errorMessage}</Alert>}
        </Stack>
      )}
    </Card>
  );
}
