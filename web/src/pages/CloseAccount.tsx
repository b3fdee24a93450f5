import {
  Alert,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  List,
  Modal,
  Select,
  Stack,
  Text,
  Textarea,
  TextInput,
  Timeline,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router';
import { api, isApiError, unwrap } from '../api/client.js';
import { useMe } from '../api/session.js';
import { daysLeft, useLines } from '../api/subscriber.js';
import { fixLink } from '../components/BackToChecklist.js';
import { formatDateTime, formatMoney, type Money, minorDigits } from '../format.js';
import { supportLink } from './Help.js';

const REASONS = ['no_longer_needed', 'cost', 'lost_or_stolen', 'switching_operator', 'other'] as const;
const OPEN = ['submitted', 'in_review', 'info_requested', 'approved'];

function RequestTimeline({
  request,
}: {
  request: {
    id: string;
    status: string;
    dueBy: string;
    events: Array<{ status: string; at: string; note: string | null }>;
  };
}) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const [info, setInfo] = useState('');
  const refresh = () => void queryClient.invalidateQueries();
  const resubmit = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/me/cancellation/{id}/resubmit', {
          params: { path: { id: request.id } },
          body: { info },
        }),
      ),
    onSuccess: refresh,
  });
  const withdraw = useMutation({
    mutationFn: () =>
      unwrap(api.POST('/api/v1/me/cancellation/{id}/withdraw', { params: { path: { id: request.id } } })),
    onSuccess: refresh,
  });
  const lastNote = [...request.events].reverse().find((e) => e.status === 'info_requested')?.note;
  return (
    <Card withBorder radius="md" padding="lg" data-testid="cancellation-request">
      <Group justify="space-between" mb="sm">
        <Text fw={600}>{t('close.request')}</Text>
        <Badge data-testid="cancellation-status">{t(`close.status.${request.status}`)}</Badge>
      </Group>
      {OPEN.includes(request.status) && (
        <Text size="sm" mb="sm">
          {t('close.dueBy', { date: formatDateTime(request.dueBy, i18n.language) })}
        </Text>
      )}
      <Timeline active={request.events.length - 1} bulletSize={14} lineWidth={2}>
        {request.events.map((e) => (
          <Timeline.Item key={`${e.status}-${e.at}`} title={t(`close.status.${e.status}`)}>
            <Text size="xs" c="dimmed">
              {formatDateTime(e.at, i18n.language)}
            </Text>
            {e.note && <Text size="sm">{e.note}</Text>}
          </Timeline.Item>
        ))}
      </Timeline>
      {request.status === 'info_requested' && (
        <Stack mt="md" gap="xs">
          <Alert color="yellow">{t('close.infoAsked', { note: lastNote ?? '' })}</Alert>
          <Textarea
            value={info}
            onChange={(e) => setInfo(e.currentTarget.value)}
            label={t('close.yourAnswer')}
            data-testid="resubmit-info"
          />
          <Button
            onClick={() => resubmit.mutate()}
            disabled={!info.trim()}
            loading={resubmit.isPending}
            data-testid="resubmit"
          >
            {t('close.resubmit')}
          </Button>
        </Stack>
      )}
      {['submitted', 'in_review', 'info_requested'].includes(request.status) && (
        <Button
          mt="md"
          variant="subtle"
          color="gray"
          onClick={() => withdraw.mutate()}
          loading={withdraw.isPending}
          data-testid="withdraw"
        >
          {t('close.withdraw')}
        </Button>
      )}
    </Card>
  );
}

/** The final confirmation's list: every line's number and what is left on it (data, days), all lost. */
function WhatWillBeLost() {
  const { t } = useTranslation();
  const lines = useLines();
  const live = (lines.data?.items ?? []).filter((l) => ['active', 'pending', 'suspended'].includes(l.status));
  const gb = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  return (
    <Stack gap={4} data-testid="what-will-be-lost">
      <Text size="sm" fw={600}>
        {t('closeLoop.lostTitle')}
      </Text>
      <List size="sm" spacing={2}>
        {live.map((l) => {
          const left = l.allowances.dataBytes ?? l.allowances.total.dataBytes;
          const days = daysLeft(l.expiresAt);
          return (
            <List.Item key={l.id} data-testid="lost-line">
              {t('closeLoop.lostLine', {
                plan: l.planName,
                msisdn: l.msisdn,
                data: gb(left),
                days: days === null ? t('closeLoop.notStarted') : t('homeMe.daysLeft', { count: days }),
              })}
            </List.Item>
          );
        })}
        <List.Item>{t('closeLoop.lostNumbers')}</List.Item>
        <List.Item>{t('closeLoop.lostSignIn')}</List.Item>
      </List>
    </Stack>
  );
}

type Way = 'refund' | 'transfer' | 'forfeit' | 'topup' | 'waiver';
interface Receipt {
  id: string;
  amount: Money;
  balanceAfter: Money;
  arrearsPaid?: Money;
}

/** Where each way of bringing a balance to zero is done; every place offers the way back to the checklist. */
function wayLink(way: Way, blockerMessage: string, t: TFunction): string {
  if (way === 'forfeit') return '/account/close?step=forfeit';
  if (way === 'waiver')
    return supportLink({
      category: 'cancellation',
      subject: t('close.supportSubject'),
      message: t('forfeit.waiverMessage', { blocker: blockerMessage }),
    });
  return `/wallet?${new URLSearchParams({ from: 'close', tab: way })}`;
}

/** The balance blocker's buttons: exactly the ways the server says apply to this balance, the first one primary. */
function BalanceWays({
  blocker,
}: {
  blocker: { code: string; message: string; details?: Record<string, unknown> };
}) {
  const { t, i18n } = useTranslation();
  const details = blocker.details ?? {};
  const ways = (Array.isArray(details.ways) ? details.ways : []) as Way[];
  const money = (m: unknown) => (m ? formatMoney(m as Money, i18n.language) : '');
  const amounts: Record<Way, string> = {
    refund: money(details.refundable),
    forfeit: money(details.forfeitable),
    topup: money(details.arrears),
    transfer: '',
    waiver: '',
  };
  return (
    <>
      {ways.map((way, i) => (
        <Button
          key={way}
          component={Link}
          to={wayLink(way, blocker.message, t)}
          size="compact-sm"
          variant="white"
          color={way === 'forfeit' ? 'red' : undefined}
          // The first way keeps the blocker's usual fix id (other walks click it); every way carries its name.
          data-testid={i === 0 ? `fix-${blocker.code}` : `way-${way}`}
          data-way={way}
        >
          {t(`forfeit.ways.${way}`, { amount: amounts[way] })}
        </Button>
      ))}
    </>
  );
}

/** "12.30" for 1230 CNY: what the subscriber types to agree to give it up. */
function plainAmount(m: Money): string {
  const digits = minorDigits(m.currency);
  return (m.amount / 10 ** digits).toFixed(digits);
}

/** The typed amount in minor units, or null when it is not a plain number ("¥70", "70.00 元" and "70" all read as 70). */
function typedMinor(text: string, currency: string): number | null {
  const cleaned = text.replace(/[\s,¥￥$€£元]|CN|US/gi, '');
  if (!/^\d+(\.\d+)?$/.test(cleaned)) return null;
  return Math.round(Number(cleaned) * 10 ** minorDigits(currency));
}

/** The Forfeit step: what cannot be refunded, given up knowingly (the amount typed), once per key. */
function ForfeitStep() {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const figures = useQuery({
    queryKey: ['forfeitable'],
    queryFn: () => unwrap(api.GET('/api/v1/me/forfeits/forfeitable')),
  });
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string | null>(null);
  // One key for this intended forfeit: a double click or a retry after a lost answer gives it up once.
  const [key] = useState(() => crypto.randomUUID());
  const f = figures.data as
    | { forfeitable: Money; refundable: Money; balance: Money; arrears: Money; arrearsPaid: Money }
    | undefined;
  const give = useMutation({
    mutationFn: (amount: Money) =>
      unwrap(
        api.POST('/api/v1/me/forfeits', {
          body: { amount, confirm: true },
          params: { header: { 'idempotency-key': key } },
        }),
      ),
    onSuccess: (receipt) => {
      void queryClient.invalidateQueries();
      navigate('/account/close', { state: { forfeit: receipt } });
    },
    onError: (e) => {
      setError(isApiError(e) ? e.message : t('app.loadError'));
      // The figures may have moved (a top-up, a refund): show the new ones; the typed amount must match again.
      void figures.refetch();
    },
  });
  const fmt = (m: Money) => formatMoney(m, i18n.language);
  const matches =
    !!f && f.forfeitable.amount > 0 && typedMinor(typed, f.forfeitable.currency) === f.forfeitable.amount;
  return (
    <Stack gap="lg" py="md" data-testid="forfeit-step">
      <Button
        component={Link}
        to="/account/close"
        variant="light"
        size="compact-md"
        w="fit-content"
        data-testid="back-to-checklist"
      >
        ← {t('closeLoop.backToChecklist')}
      </Button>
      <Title order={2}>{t('forfeit.title')}</Title>
      {figures.isError && <Alert color="red">{t('app.loadError')}</Alert>}
      {f && f.forfeitable.amount === 0 && (
        <Alert color="gray" data-testid="forfeit-nothing">
          {t('forfeit.nothing')}
        </Alert>
      )}
      {f && f.forfeitable.amount > 0 && (
        // A readable measure on wide screens: the warning and the typed amount stay close to the button.
        <Card withBorder radius="md" padding="lg" maw={640}>
          <Stack gap="md">
            <div>
              <Text size="sm" c="dimmed">
                {t('forfeit.amountLabel')}
              </Text>
              <Text fz={36} fw={700} data-testid="forfeitable">
                {fmt(f.forfeitable)}
              </Text>
            </div>
            <Alert color="red" variant="light" title={t('forfeit.lostTitle')} data-testid="forfeit-warning">
              <Text size="sm">{t('forfeit.lostText', { amount: fmt(f.forfeitable) })}</Text>
            </Alert>
            <List size="sm" spacing={4}>
              <List.Item>{t('forfeit.why')}</List.Item>
              {f.arrearsPaid.amount > 0 && (
                <List.Item data-testid="forfeit-arrears">
                  {t('forfeit.arrearsFirst', { amount: fmt(f.arrearsPaid) })}
                </List.Item>
              )}
              {f.refundable.amount > 0 && (
                <List.Item>
                  {t('forfeit.refundFirst', { amount: fmt(f.refundable) })}{' '}
                  <Link to="/wallet?from=close&tab=refund">{t('forfeit.refundLink')}</Link>
                </List.Item>
              )}
              <List.Item>{t('forfeit.alternative')}</List.Item>
            </List>
            <TextInput
              label={t('forfeit.typeLabel', { amount: plainAmount(f.forfeitable) })}
              description={t('forfeit.typeHint')}
              value={typed}
              onChange={(e) => setTyped(e.currentTarget.value)}
              inputMode="decimal"
              autoComplete="off"
              placeholder={plainAmount(f.forfeitable)}
              // Said only once as much has been typed as the amount has characters, not at the first digit.
              error={
                typed.trim().length >= plainAmount(f.forfeitable).length && !matches
                  ? t('forfeit.typeMismatch')
                  : undefined
              }
              data-testid="forfeit-typed"
            />
            {error && (
              <Alert color="red" role="alert" data-testid="forfeit-error">
                {error}
              </Alert>
            )}
            <Group justify="space-between" wrap="wrap">
              <Button component={Link} to="/account/close" variant="default">
                {t('forfeit.keep')}
              </Button>
              <Button
                color="red"
                disabled={!matches}
                loading={give.isPending}
                onClick={() => give.mutate(f.forfeitable)}
                data-testid="forfeit-submit"
              >
                {t('forfeit.submit', { amount: fmt(f.forfeitable) })}
              </Button>
            </Group>
          </Stack>
        </Card>
      )}
    </Stack>
  );
}

/** Back on the checklist after a forfeit: what was given up and its receipt id (also the statement line's reference). */
function ForfeitReceipt({ receipt }: { receipt: Receipt }) {
  const { t, i18n } = useTranslation();
  return (
    <Alert color="green" role="status" title={t('forfeit.doneTitle')} data-testid="forfeit-done">
      <Text size="sm">
        {t('forfeit.doneText', {
          amount: formatMoney(receipt.amount, i18n.language),
          balance: formatMoney(receipt.balanceAfter, i18n.language),
        })}
      </Text>
      <Text size="sm" mt={4}>
        {t('forfeit.receipt')} <code data-testid="forfeit-receipt">{receipt.id}</code>
      </Text>
    </Alert>
  );
}

/** 设置 → 账户管理 → 注销账户 (R8): preflight checklist, reason, a plain final confirmation, then the request. */
export function CloseAccount() {
  const [params] = useSearchParams();
  if (params.get('step') === 'forfeit') return <ForfeitStep />;
  return <Checklist />;
}

function Checklist() {
  const { t } = useTranslation();
  const me = useMe();
  const location = useLocation();
  const receipt = (location.state as { forfeit?: Receipt } | null)?.forfeit;
  const queryClient = useQueryClient();
  const eligibility = useQuery({
    queryKey: ['eligibility'],
    enabled: !!me.data && me.data.status !== 'deregistered',
    queryFn: () => unwrap(api.GET('/api/v1/me/cancellation/eligibility')),
  });
  const latest = useQuery({
    queryKey: ['cancellation'],
    retry: false,
    queryFn: async () => {
      const { data, response } = await api.GET('/api/v1/me/cancellation');
      return response.status === 404 ? null : (data ?? null);
    },
  });
  const [reasonCode, setReasonCode] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [understood, setUnderstood] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/me/cancellation', {
          body: {
            ...(reasonCode ? { reasonCode: reasonCode as (typeof REASONS)[number] } : {}),
            ...(reason.trim() ? { reason: reason.trim() } : {}),
          },
        }),
      ),
    onSuccess: () => {
      setConfirming(false);
      void queryClient.invalidateQueries();
    },
    onError: (e) => setError(isApiError(e) ? e.message : t('app.loadError')),
  });
  const request = latest.data;
  // Once the account is closed there is nothing left to apply for: the timeline stays, the form goes.
  const closed = me.data?.status === 'deregistered' || request?.status === 'completed';
  const open = (request && OPEN.includes(request.status)) || closed;
  const blockers = eligibility.data?.blockers ?? [];
  return (
    <Stack gap="lg" py="md">
      <Text size="sm" c="dimmed">
        {t('close.breadcrumb')}
      </Text>
      <Title order={2}>{t('close.title')}</Title>
      {receipt && <ForfeitReceipt receipt={receipt} />}
      {request && <RequestTimeline request={request} />}
      {!open && (
        <>
          <Card withBorder radius="md" padding="lg">
            <Text fw={600} mb="sm">
              {t('close.checklist')}
            </Text>
            {blockers.length === 0 && eligibility.data && (
              <Alert color="green" data-testid="eligible">
                {t('close.eligible')}
              </Alert>
            )}
            <Stack gap="sm">
              {blockers.map((b) => (
                <Alert key={b.code} color="red" variant="light" data-testid={`blocker-${b.code}`}>
                  <Text size="sm">{b.message}</Text>
                  <Group gap="xs" mt="xs">
                    {b.code === 'BALANCE_NOT_ZERO' ? (
                      <BalanceWays blocker={b} />
                    ) : (
                      <Button
                        component={Link}
                        to={fixLink(b)}
                        size="compact-sm"
                        variant="white"
                        data-testid={`fix-${b.code}`}
                      >
                        {t('close.fix')}
                      </Button>
                    )}
                    <Button
                      component={Link}
                      to={supportLink({
                        category: 'cancellation',
                        subject: t('close.supportSubject'),
                        message: t('close.supportMessage', { blocker: b.message }),
                      })}
                      size="compact-sm"
                      variant="subtle"
                      data-testid={`support-${b.code}`}
                    >
                      {t('close.contactSupport')}
                    </Button>
                  </Group>
                </Alert>
              ))}
            </Stack>
            <Text size="sm" c="dimmed" mt="md">
              {t('close.backupFirst')} <Link to="/backup">{t('nav.backup')}</Link>
            </Text>
          </Card>
          <Card withBorder radius="md" padding="lg">
            <Stack gap="sm">
              <Select
                label={t('close.reason')}
                placeholder={t('close.optional')}
                value={reasonCode}
                onChange={setReasonCode}
                clearable
                data={REASONS.map((r) => ({ value: r, label: t(`close.reasons.${r}`) }))}
                data-testid="reason-code"
              />
              <Textarea
                label={t('close.reasonText')}
                placeholder={t('close.optional')}
                value={reason}
                onChange={(e) => setReason(e.currentTarget.value)}
                maxLength={2000}
                data-testid="reason-text"
              />
              <Button
                color="red"
                disabled={blockers.length > 0}
                onClick={() => setConfirming(true)}
                data-testid="close-start"
              >
                {t('close.submit')}
              </Button>
            </Stack>
          </Card>
        </>
      )}
      <Modal
        opened={confirming}
        onClose={() => setConfirming(false)}
        title={t('close.confirmTitle')}
        centered
      >
        <Stack>
          <Text size="sm">{t('close.confirmText')}</Text>
          <WhatWillBeLost />
          <Checkbox
            checked={understood}
            onChange={(e) => setUnderstood(e.currentTarget.checked)}
            label={t('close.understand')}
            data-testid="close-understand"
          />
          {error && <Alert color="red">{error}</Alert>}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirming(false)}>
              {t('wallet.cancel')}
            </Button>
            <Button
              color="red"
              disabled={!understood}
              loading={submit.isPending}
              onClick={() => submit.mutate()}
              data-testid="close-confirm"
            >
              {t('close.confirm')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
