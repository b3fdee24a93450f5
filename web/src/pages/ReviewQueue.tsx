import { Alert, Anchor, Badge, Card, Group, SimpleGrid, Stack, Text, Timeline, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client.js';
import { formatDateTime } from '../format.js';
import { staffKeys } from './staff/keys.js';
import { DecisionBar } from './staff/review/DecisionBar.js';
import { loadQueue, type ReviewItem } from './staff/review/queue.js';

const DAY_MS = 86_400_000;

/** How long someone has been a customer, in the largest whole unit: 12 days, 3 months, 2 years. */
function customerAge(since: string, t: TFunction): string {
  const days = Math.max(0, Math.floor((Date.now() - new Date(since).getTime()) / DAY_MS));
  if (days === 0) return t('review.ageToday');
  if (days < 60) return t('review.ageDays', { count: days });
  if (days < 730) return t('review.ageMonths', { count: Math.floor(days / 30.44) });
  return t('review.ageYears', { count: Math.floor(days / 365.25) });
}

const DECISION_COLOR: Record<string, string> = { approved: 'teal', info_requested: 'blue', rejected: 'red' };

/** Who the customer is: masked contact, how long they have been a customer, their lines. */
function Customer({ item }: { item: ReviewItem }) {
  const { t, i18n } = useTranslation();
  const { customer } = item;
  return (
    <Stack gap={4} data-testid="review-customer">
      <Text size="sm">
        {t('review.since', {
          date: new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium' }).format(
            new Date(customer.createdAt),
          ),
          age: customerAge(customer.createdAt, t),
        })}{' '}
        · {t('review.lineCount', { count: customer.lines.length })}
      </Text>
      {customer.lines.map((l) => (
        <div key={l.id} data-testid="review-line">
          <Group gap="xs" wrap="nowrap">
            <Text size="sm" fw={500} style={{ whiteSpace: 'nowrap' }}>
              {l.msisdn}
            </Text>
            <Badge size="sm" variant="light" style={{ flexShrink: 0 }}>
              {t(`lines.status.${l.status}`)}
            </Badge>
          </Group>
          <Text size="xs" c="dimmed">
            {l.planName}
          </Text>
        </div>
      ))}
    </Stack>
  );
}

/** The checks at submission and as they stand now (approval runs them again). */
function Checks({ item }: { item: ReviewItem }) {
  const { t, i18n } = useTranslation();
  const atSubmission = item.checks;
  return (
    <Stack gap={4} data-testid="review-checks">
      {atSubmission && (
        <Text size="xs" c="dimmed">
          {atSubmission.passed ? t('review.checksPassed') : t('review.checksFailed')}
          {` · ${formatDateTime(atSubmission.at, i18n.language)}`}
        </Text>
      )}
      {item.checksNow.eligible ? (
        <Text size="sm" c="teal.9" data-testid="review-checks-now">
          ✓ {t('review.checksNowClear')}
        </Text>
      ) : (
        <Alert color="orange" variant="light" p="xs" title={t('review.checksNowBlocked')}>
          <Stack gap={2}>
            {item.checksNow.blockers.map((b) => (
              <Text key={b.code} size="sm" data-testid={`review-blocker-${b.code}`}>
                {b.message}
              </Text>
            ))}
          </Stack>
        </Alert>
      )}
    </Stack>
  );
}

/** Everything that happened to the request, with who said what (the subscriber's answers included). */
function History({ item }: { item: ReviewItem }) {
  const { t, i18n } = useTranslation();
  return (
    <Timeline bulletSize={10} lineWidth={2} data-testid="review-history">
      {item.events.map((e) => (
        <Timeline.Item key={`${e.status}-${e.at}`} title={t(`close.status.${e.status}`)}>
          <Text size="xs" c="dimmed">
            {formatDateTime(e.at, i18n.language)} · {e.actorEmail ?? t(`staff.actorType.${e.actor}`)}
          </Text>
          {e.note && (
            <Text size="sm" data-testid="review-event-note">
              {e.actor === 'account' ? t('review.subscriberSaid', { note: e.note }) : e.note}
            </Text>
          )}
        </Timeline.Item>
      ))}
    </Timeline>
  );
}

/** One of the three facts a reviewer reads, under its small heading. */
function Column({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" fw={700} tt="uppercase" c="dimmed" mb={4}>
        {title}
      </Text>
      {children}
    </div>
  );
}

function RequestCard({ item }: { item: ReviewItem }) {
  const { t, i18n } = useTranslation();
  return (
    <Card
      withBorder
      radius="sm"
      padding="md"
      data-testid="review-item"
      style={item.overdue ? { borderColor: 'var(--mantine-color-red-6)' } : undefined}
    >
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <div style={{ minWidth: 0 }}>
          <Anchor
            component={Link}
            to={`/staff/customers/${item.accountId}`}
            fw={600}
            underline="always"
            data-testid="review-contact"
          >
            {item.customer.contact ?? t('review.erased')}
          </Anchor>
          <Text size="xs" c="dimmed">
            {t('review.due', { date: formatDateTime(item.dueBy, i18n.language) })}
          </Text>
        </div>
        <Group gap="xs" justify="flex-end">
          {item.overdue && <Badge color="red">{t('review.overdue')}</Badge>}
          <Badge variant="light">{t(`close.status.${item.status}`)}</Badge>
        </Group>
      </Group>
      {(item.reasonCode || item.reason) && (
        <Text size="sm" mt="xs">
          {item.reasonCode && t(`close.reasons.${item.reasonCode}`)}
          {item.reason && (
            <Text span c="dimmed">
              {' '}
              “{item.reason}”
            </Text>
          )}
        </Text>
      )}
      <SimpleGrid cols={{ base: 1, md: 3 }} mt="sm" spacing="md">
        <Column title={t('review.customer')}>
          <Customer item={item} />
        </Column>
        <Column title={t('review.checks')}>
          <Checks item={item} />
        </Column>
        <Column title={t('review.history')}>
          <History item={item} />
        </Column>
      </SimpleGrid>
      <DecisionBar item={item} />
    </Card>
  );
}

/** The latest decisions, so a reviewer sees what was just done (and by whom). */
function RecentlyDecided() {
  const { t, i18n } = useTranslation();
  const decided = useQuery({
    queryKey: staffKeys.cancellations.decided,
    queryFn: () =>
      unwrap(api.GET('/api/v1/staff/cancellations/decided', { params: { query: { limit: 20 } } })),
    refetchInterval: 15_000,
  });
  const items = decided.data?.items ?? [];
  return (
    <Card withBorder radius="md" padding="lg" data-testid="review-decided">
      <Title order={3} size="h4" mb="sm">
        {t('review.decidedTitle')}
      </Title>
      {items.length === 0 && <Text c="dimmed">{t('review.decidedNone')}</Text>}
      <Stack gap="sm">
        {items.map((d) => (
          <div key={`${d.id}-${d.decidedAt}`} data-testid="review-decided-item">
            <Group gap="xs" wrap="wrap">
              <Badge color={DECISION_COLOR[d.decision]} variant="light">
                {t(`close.status.${d.decision}`)}
              </Badge>
              <Anchor component={Link} to={`/staff/customers/${d.accountId}`} size="sm" fw={500}>
                {d.contact ?? t('review.erased')}
              </Anchor>
            </Group>
            <Text size="xs" c="dimmed">
              {formatDateTime(d.decidedAt, i18n.language)} ·{' '}
              {d.decidedBy.email ?? t(`staff.actorType.${d.decidedBy.type}`)}
            </Text>
            {d.note && (
              <Text size="xs" lineClamp={2}>
                {d.note}
              </Text>
            )}
          </div>
        ))}
      </Stack>
    </Card>
  );
}

/** The reviewers' queue, by due date, overdue first in view; each request with the facts to decide it. */
export function ReviewQueue() {
  const { t } = useTranslation();
  const queue = useQuery({
    queryKey: staffKeys.cancellations.queue,
    queryFn: loadQueue,
    refetchInterval: 5000,
  });
  const items = queue.data?.items ?? [];
  return (
    <Stack gap="md">
      <Card withBorder radius="md" padding="lg">
        <Title order={3} size="h4" mb="sm">
          {t('review.title')}
        </Title>
        {queue.isError && <Alert color="red">{t('app.loadError')}</Alert>}
        {queue.isSuccess && items.length === 0 && <Text c="dimmed">{t('review.empty')}</Text>}
        <Stack gap="md">
          {items.map((item) => (
            <RequestCard key={item.id} item={item} />
          ))}
        </Stack>
      </Card>
      <RecentlyDecided />
    </Stack>
  );
}
