import {
  Alert,
  Badge,
  Button,
  Card,
  Chip,
  Group,
  Modal,
  NumberInput,
  SimpleGrid,
  Stack,
  Table,
  Tabs,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useIntersection, useMediaQuery } from '@mantine/hooks';
import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api, isApiError, unwrap } from '../api/client.js';
import { useMeta } from '../api/meta.js';
import { BackToChecklist } from '../components/BackToChecklist.js';
import { ResumePurchase } from '../components/Checkout.js';
import { formatDateTime, formatMoney, type Money, minorDigits, toMinor } from '../format.js';
import { statementWhat } from '../statement-what.js';

const PRESETS = [50, 100, 200, 500];

function useBalance() {
  return useQuery({ queryKey: ['balance'], queryFn: () => unwrap(api.GET('/api/v1/me/balance')) });
}

/** One Idempotency-Key per intended write: kept while the form is unchanged, so a retry cannot pay twice. */
function useIntentKey() {
  const [key, setKey] = useState(() => crypto.randomUUID());
  return { key, renew: () => setKey(crypto.randomUUID()) };
}

/** Runs one money-moving request: busy state, the localised outcome, a fresh key and fresh figures after success. */
function useMoneyAction() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const intent = useIntentKey();
  const [busy, setBusy] = useState(false);
  const [ok, setOk] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  async function run(work: (idempotencyKey: string) => Promise<string>): Promise<boolean> {
    setBusy(true);
    setError(null);
    setOk(null);
    try {
      setOk(await work(intent.key));
      intent.renew();
      for (const key of ['balance', 'statement', 'refundable'])
        void queryClient.invalidateQueries({ queryKey: [key] });
      return true;
    } catch (e) {
      setError(isApiError(e) ? e.message : t('app.loadError'));
      return false;
    } finally {
      setBusy(false);
    }
  }
  return { busy, run, setError, outcome: <Outcome ok={ok} error={error} /> };
}

function Outcome({ ok, error }: { ok: string | null; error: string | null }) {
  if (error)
    return (
      <Alert color="red" role="alert" data-testid="wallet-error">
        {error}
      </Alert>
    );
  if (ok)
    return (
      <Alert color="green" role="status" data-testid="wallet-ok">
        {ok}
      </Alert>
    );
  return null;
}

function AmountInput(props: {
  value: number | string;
  onChange: (v: number | string) => void;
  testId: string;
}) {
  const { t } = useTranslation();
  return (
    <NumberInput
      label={t('wallet.amount')}
      value={props.value}
      onChange={props.onChange}
      min={0.01}
      decimalScale={2}
      required
      style={{ flex: 1 }}
      data-testid={props.testId}
    />
  );
}

/** Polls a top-up the provider's hosted page sent the subscriber back from, until its webhook has landed. */
function TopUpReturn({ id }: { id: string }) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const payment = useQuery({
    queryKey: ['topup', id],
    queryFn: () => unwrap(api.GET('/api/v1/me/topups/{id}', { params: { path: { id } } })),
    // Every 2 s for the first two minutes, then every 15 s: a slow provider still settles on screen.
    refetchInterval: (query) =>
      query.state.data?.status !== 'pending' ? false : query.state.dataUpdateCount < 60 ? 2000 : 15_000,
  });
  const status = payment.data?.status;
  useEffect(() => {
    if (status && status !== 'pending')
      for (const key of ['balance', 'statement', 'refundable'])
        void queryClient.invalidateQueries({ queryKey: [key] });
  }, [status, queryClient]);
  if (payment.isError)
    return (
      <Alert color="red" role="alert" data-testid="topup-return">
        {t('app.loadError')}
      </Alert>
    );
  if (!payment.data) return null;
  const amount = formatMoney(payment.data.amount as Money, i18n.language);
  const color = status === 'succeeded' ? 'green' : status === 'failed' ? 'red' : 'blue';
  return (
    <Alert color={color} role="status" data-testid="topup-return" data-status={status}>
      {t(`wallet.topupStatus.${payment.data.status}`, { amount })}
    </Alert>
  );
}

function TopUp({ currency }: { currency: string }) {
  const { t, i18n } = useTranslation();
  const meta = useMeta();
  const action = useMoneyAction();
  const [params] = useSearchParams();
  const returnedFrom = params.get('topup');
  const [amount, setAmount] = useState<number | string>(100);
  function submit(event: FormEvent) {
    event.preventDefault();
    void action.run(async (key) => {
      const payment = await unwrap(
        api.POST('/api/v1/me/topups', {
          body: { amount: { amount: toMinor(Number(amount), currency), currency } },
          params: { header: { 'idempotency-key': key } },
        }),
      );
      // A real provider's hosted page (Stripe Checkout, Alipay): it sends the subscriber back to ?topup=<id>.
      if (payment.status === 'pending' && payment.redirectUrl) {
        window.location.assign(payment.redirectUrl);
        return t('wallet.topupRedirect');
      }
      return t(`wallet.topupStatus.${payment.status}`, {
        amount: formatMoney(payment.amount as Money, i18n.language),
      });
    });
  }
  return (
    <form onSubmit={submit}>
      <Stack gap="sm">
        {returnedFrom && <TopUpReturn id={returnedFrom} />}
        {meta.data?.demoParts.includes('test-payments') && (
          <Badge color="orange" variant="light" data-testid="test-mode">
            {t('wallet.testMode')}
          </Badge>
        )}
        <Group gap="xs">
          {PRESETS.map((p) => (
            <Chip key={p} checked={Number(amount) === p} onChange={() => setAmount(p)} variant="outline">
              {formatMoney({ amount: toMinor(p, currency), currency }, i18n.language)}
            </Chip>
          ))}
        </Group>
        <AmountInput value={amount} onChange={setAmount} testId="topup-amount" />
        <Button type="submit" loading={action.busy} data-testid="topup-submit">
          {t('wallet.topupAction')}
        </Button>
        {action.outcome}
      </Stack>
    </form>
  );
}

function Transfer({ currency }: { currency: string }) {
  const { t, i18n } = useTranslation();
  const action = useMoneyAction();
  const meta = useMeta();
  const [to, setTo] = useState('');
  const [amount, setAmount] = useState<number | string>('');
  const [confirm, setConfirm] = useState<string | null>(null);
  const money = { amount: toMinor(Number(amount), currency), currency };

  async function review(event: FormEvent) {
    event.preventDefault();
    action.setError(null);
    try {
      const who = await unwrap(api.GET('/api/v1/me/transfers/recipient', { params: { query: { to } } }));
      // The check says only whether the money can go there, never why not (nobody learns who is a customer).
      if (who.canReceive) setConfirm(who.display);
      else action.setError(t('wallet.cannotReceive', { to: who.display, brand: meta.data?.brandName ?? '' }));
    } catch (e) {
      action.setError(isApiError(e) ? e.message : t('app.loadError'));
    }
  }
  async function send() {
    const sent = await action.run(async (key) => {
      await unwrap(
        api.POST('/api/v1/me/transfers', {
          body: { to, amount: money },
          params: { header: { 'idempotency-key': key } },
        }),
      );
      return t('wallet.transferDone', { amount: formatMoney(money, i18n.language), to: confirm });
    });
    if (sent) {
      setTo('');
      setAmount('');
    }
    setConfirm(null);
  }
  return (
    <form onSubmit={review}>
      <Stack gap="sm">
        <TextInput
          label={t('wallet.recipient')}
          description={t('wallet.recipientHint')}
          value={to}
          onChange={(e) => setTo(e.currentTarget.value)}
          required
          data-testid="transfer-to"
        />
        <AmountInput value={amount} onChange={setAmount} testId="transfer-amount" />
        <Button type="submit" data-testid="transfer-review">
          {t('wallet.transferReview')}
        </Button>
        {action.outcome}
      </Stack>
      <Modal
        opened={confirm !== null}
        onClose={() => setConfirm(null)}
        title={t('wallet.confirmTitle')}
        centered
      >
        <Stack>
          <Text data-testid="transfer-confirm-text">
            {t('wallet.confirmText', { amount: formatMoney(money, i18n.language), to: confirm })}
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirm(null)}>
              {t('wallet.cancel')}
            </Button>
            <Button onClick={() => void send()} loading={action.busy} data-testid="transfer-confirm">
              {t('wallet.confirmSend')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </form>
  );
}

function Refund({ currency }: { currency: string }) {
  const { t, i18n } = useTranslation();
  const action = useMoneyAction();
  const refundable = useQuery({
    queryKey: ['refundable'],
    queryFn: () => unwrap(api.GET('/api/v1/me/refunds/refundable')),
  });
  const [amount, setAmount] = useState<number | string>('');
  const fromClose = useSearchParams()[0].get('from') === 'close';
  const fmt = (m: Money | undefined) => (m ? formatMoney(m, i18n.language) : '…');
  function submit(event: FormEvent) {
    event.preventDefault();
    const money = { amount: toMinor(Number(amount), currency), currency };
    void action
      .run(async (key) => {
        const refund = await unwrap(
          api.POST('/api/v1/me/refunds', {
            body: { amount: money },
            params: { header: { 'idempotency-key': key } },
          }),
        );
        return t(`wallet.refundStatus.${refund.status}`, { amount: formatMoney(money, i18n.language) });
      })
      .then((done) => done && setAmount(''));
  }
  const r = refundable.data;
  return (
    <form onSubmit={submit}>
      <Stack gap="sm">
        <Text data-testid="refundable">
          {t('wallet.refundable', { amount: fmt(r?.refundable as Money) })}
        </Text>
        <Text size="sm" c="dimmed">
          {t('wallet.refundableWhy', {
            balance: fmt(r?.balance as Money),
            topped: fmt(r?.toppedUpNotRefunded as Money),
          })}
        </Text>
        <Group align="flex-end">
          <AmountInput value={amount} onChange={setAmount} testId="refund-amount" />
          <Button
            variant="default"
            disabled={!r || r.refundable.amount === 0}
            onClick={() => r && setAmount(r.refundable.amount / 10 ** minorDigits(currency))}
            data-testid="refund-all"
          >
            {t('wallet.refundAll')}
          </Button>
        </Group>
        <Button
          type="submit"
          loading={action.busy}
          disabled={!r || r.refundable.amount === 0}
          data-testid="refund-submit"
        >
          {t('wallet.refundAction')}
        </Button>
        {action.outcome}
        {fromClose && r && r.balance.amount > r.refundable.amount && (
          // Opened from the closure checklist: what no refund can return, and the other ways for it.
          <Alert color="gray" variant="light" data-testid="not-refundable">
            {t('forfeit.notRefundable', {
              amount: fmt({ amount: r.balance.amount - r.refundable.amount, currency: r.balance.currency }),
            })}{' '}
            <Link to="/account/close">{t('closeLoop.backToChecklist')}</Link>
          </Alert>
        )}
      </Stack>
    </form>
  );
}

function Statement() {
  const { t, i18n } = useTranslation();
  const phone = useMediaQuery('(max-width: 48em)', false, { getInitialValueInEffect: false });
  const statement = useInfiniteQuery({
    queryKey: ['statement'],
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
                <Text size="sm" fw={500}>
                  {statementWhat(l, t)}
                </Text>
                <Text size="xs" c="dimmed">
                  {formatDateTime(l.createdAt, i18n.language)}
                </Text>
              </div>
              <div style={{ textAlign: 'right', flexShrink: 0 }}>
                <Text
                  size="sm"
                  fw={600}
                  style={{
                    color: `var(--mantine-color-${(l.amount as Money).amount < 0 ? 'red' : 'green'}-light-color)`,
                  }}
                >
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
                    <Text size="sm" fw={500}>
                      {statementWhat(l, t)}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {formatDateTime(l.createdAt, i18n.language)}
                    </Text>
                  </Table.Td>
                  <Table.Td
                    ta="right"
                    style={{
                      color: `var(--mantine-color-${(l.amount as Money).amount < 0 ? 'red' : 'green'}-light-color)`,
                    }}
                  >
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

const TABS = ['topup', 'transfer', 'refund'] as const;

export function Wallet() {
  const { t, i18n } = useTranslation();
  // ?tab=refund (or transfer, topup) opens that tab: the closure checklist's fix link for a balance.
  const [params] = useSearchParams();
  const balance = useBalance();
  const currency = (balance.data as Money | undefined)?.currency ?? 'CNY';
  return (
    <Stack gap="lg" py="md">
      <BackToChecklist />
      <Title order={2}>{t('wallet.title')}</Title>
      {/* Back from the provider's page after "Top up and buy": the purchase finishes here. */}
      {params.get('topup') && <ResumePurchase topupId={params.get('topup')!} />}
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder radius="md" padding="lg">
          <Text size="sm" c="dimmed">
            {t('wallet.balance')}
          </Text>
          <Text fz={40} fw={700} data-testid="balance">
            {balance.data ? formatMoney(balance.data as Money, i18n.language) : '…'}
          </Text>
          <Text size="sm" c="dimmed" mt="xs">
            {t('wallet.balanceHint')}
          </Text>
        </Card>
        <Card withBorder radius="md" padding="lg">
          <Tabs defaultValue={TABS.find((v) => v === params.get('tab')) ?? 'topup'} keepMounted={false}>
            <Tabs.List grow mb="md">
              <Tabs.Tab value="topup" data-testid="tab-topup">
                {t('wallet.topup')}
              </Tabs.Tab>
              <Tabs.Tab value="transfer" data-testid="tab-transfer">
                {t('wallet.transfer')}
              </Tabs.Tab>
              <Tabs.Tab value="refund" data-testid="tab-refund">
                {t('wallet.refund')}
              </Tabs.Tab>
            </Tabs.List>
            <Tabs.Panel value="topup">
              <TopUp currency={currency} />
            </Tabs.Panel>
            <Tabs.Panel value="transfer">
              <Transfer currency={currency} />
            </Tabs.Panel>
            <Tabs.Panel value="refund">
              <Refund currency={currency} />
            </Tabs.Panel>
          </Tabs>
        </Card>
      </SimpleGrid>
      <Statement />
    </Stack>
  );
}
