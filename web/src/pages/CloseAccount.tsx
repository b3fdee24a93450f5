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
  Timeline,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, isApiError, unwrap } from '../api/client.js';
import { useMe } from '../api/session.js';
import { daysLeft, useLines } from '../api/subscriber.js';
import { fixLink } from '../components/BackToChecklist.js';
import { formatDateTime } from '../format.js';
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

/** 设置 → 账户管理 → 注销账户 (R8): preflight checklist, reason, a plain final confirmation, then the request. */
export function CloseAccount() {
  const { t } = useTranslation();
  const me = useMe();
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
                    <Button
                      component={Link}
                      to={fixLink(b)}
                      size="compact-sm"
                      variant="white"
                      data-testid={`fix-${b.code}`}
                    >
                      {t('close.fix')}
                    </Button>
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
