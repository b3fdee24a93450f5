import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Group,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client.js';
import { keys } from '../api/keys.js';
import { isStaff, useMe } from '../api/session.js';
import { Checkout } from '../components/Checkout.js';
import { ClosingNotice, isClosing } from '../components/ClosingNotice.js';
import { formatMoney, type Money } from '../format.js';
import { planMatches, shownCountryName } from '../plan-search.js';

export function dataLabel(mb: number, t: TFunction) {
  return mb >= 1024 ? t('plans.gb', { n: Math.round((mb / 1024) * 10) / 10 }) : t('plans.mb', { n: mb });
}

type Plan = Awaited<ReturnType<typeof fetchPlans>>['items'][number];

function fetchPlans() {
  return unwrap(api.GET('/api/v1/plans'));
}

/** The plans on sale, named in the page's language. */
export function usePlans() {
  const { i18n } = useTranslation();
  return useQuery({ queryKey: keys.plans.list(i18n.language), queryFn: fetchPlans });
}

/** What a plan gives, as the rows of the checkout sheet. */
/** The plan's countries by name, in the page's language. */
function countryNames(p: Plan, language: string): string[] {
  return p.countryNames.map((name, i) => shownCountryName(p.countries[i] ?? '', name, language));
}

/** A plan's countries: two lines at first, and "Show all N countries" when they do not fit in two. */
function Countries({ plan }: { plan: Plan }) {
  const { t, i18n } = useTranslation();
  const [all, setAll] = useState(false);
  const [clamped, setClamped] = useState(false);
  const ref = useRef<HTMLParagraphElement>(null);
  const names = countryNames(plan, i18n.language);
  // Whether two lines cut the list, measured again whenever the card changes width.
  useEffect(() => {
    const el = ref.current;
    if (!el || all) return;
    const measure = () => setClamped(el.scrollHeight > el.clientHeight + 1);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [all]);
  return (
    <>
      <Text
        ref={ref}
        size="sm"
        c="dimmed"
        mt="sm"
        lineClamp={all ? undefined : 2}
        data-testid="plan-countries"
      >
        {names.join(' · ')}
      </Text>
      {(clamped || all) && (
        <Anchor
          component="button"
          type="button"
          size="sm"
          ta="left"
          onClick={() => setAll((v) => !v)}
          aria-expanded={all}
          data-testid="plan-countries-toggle"
        >
          {all ? t('plans.showLess') : t('plans.showAll', { count: names.length })}
        </Anchor>
      )}
    </>
  );
}

function planFacts(p: Plan, t: TFunction, language: string) {
  const allowances = [
    dataLabel(p.dataMb, t),
    p.voiceMinutes > 0 ? t('plans.minutes', { n: p.voiceMinutes }) : null,
    p.sms > 0 ? t('plans.sms', { n: p.sms }) : null,
  ].filter(Boolean);
  return [
    { label: t('checkout.allowance'), value: allowances.join(' · ') },
    { label: t('checkout.validity'), value: t('checkout.validityValue', { n: p.validityDays }) },
    { label: t('checkout.countries'), value: countryNames(p, language).join(', ') },
    { label: t('checkout.networks'), value: t('checkout.networksValue') },
  ];
}

/** Plans by destination (R2): search by country or region name; regional plans show every country they cover. */
export function Plans() {
  const { t, i18n } = useTranslation();
  const [search, setSearch] = useState('');
  const plans = usePlans();
  const me = useMe();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const signedOut = !me.isPending && !me.data;
  const canBuy = me.data?.role === 'subscriber' && me.data.status === 'active';
  // The plan being bought lives in the address (?plan=…), so sign-in can bring the visitor back to it.
  const chosenId = params.get('plan');
  const chosen = canBuy ? plans.data?.items.find((p) => p.id === chosenId) : undefined;
  const choose = (id: string | null) =>
    setParams(
      (p) => {
        if (id) p.set('plan', id);
        else p.delete('plan');
        return p;
      },
      { replace: true },
    );
  const shown = useMemo(() => {
    return (plans.data?.items ?? []).filter((p) => planMatches(p, search));
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
      {isClosing(me.data) && <ClosingNotice />}
      {me.data && !canBuy && !isStaff(me.data.role) && !isClosing(me.data) && (
        <Alert color="gray" data-testid="cannot-buy">
          {t('plans.cannotBuy')}
        </Alert>
      )}
      {shown.length === 0 && !plans.isPending && <Text c="dimmed">{t('plans.none')}</Text>}
      <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }}>
        {shown.map((p) => (
          <Card key={p.id} withBorder radius="md" padding="lg" data-testid="plan-card" data-plan={p.id}>
            <Group justify="space-between" align="flex-start" wrap="nowrap">
              <Text fw={600}>{p.name}</Text>
              {p.region && (
                <Badge variant="light" color="grape" style={{ flexShrink: 0 }}>
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
            <Countries plan={p} />
            {canBuy && (
              <Button mt="md" fullWidth onClick={() => choose(p.id)} data-testid="buy-plan">
                {t('plans.buy')}
              </Button>
            )}
            {signedOut && (
              <Button
                mt="md"
                fullWidth
                variant="light"
                component={Link}
                to={`/sign-in?next=${encodeURIComponent(`/plans?plan=${p.id}`)}`}
                data-testid="sign-in-to-buy"
              >
                {t('plans.signInToBuy')}
              </Button>
            )}
          </Card>
        ))}
      </SimpleGrid>
      <Checkout
        opened={!!chosen}
        onClose={() => choose(null)}
        title={chosen?.name ?? ''}
        facts={chosen ? planFacts(chosen, t, i18n.language) : []}
        price={(chosen?.price as Money | undefined) ?? null}
        resumable={chosen ? { kind: 'plan', planId: chosen.id } : undefined}
        purchase={(key) =>
          unwrap(
            api.POST('/api/v1/me/lines', {
              body: { planId: chosen?.id ?? '' },
              params: { header: { 'idempotency-key': key } },
            }),
          )
        }
        onDone={(line) => navigate(`/lines/${(line as { id: string }).id}`)}
      />
    </Stack>
  );
}
