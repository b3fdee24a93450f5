import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  Progress,
  SimpleGrid,
  Skeleton,
  Stack,
  Text,
  ThemeIcon,
  Title,
} from '@mantine/core';
import { IconDeviceSim, IconDoorExit, IconWallet, IconWorld } from '@tabler/icons-react';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { isStaff, type Me, useMe } from '../api/session.js';
import {
  daysLeft,
  type Line,
  nextStep,
  useBalance,
  useCancellation,
  useLines,
  useTickets,
} from '../api/subscriber.js';
import { ClosingNotice, isClosing } from '../components/ClosingNotice.js';
import { formatMoney, type Money } from '../format.js';

const FEATURES = [
  { key: 'esim', icon: IconDeviceSim },
  { key: 'plans', icon: IconWorld },
  { key: 'balance', icon: IconWallet },
  { key: 'leave', icon: IconDoorExit },
] as const;

/** The home page: a subscriber's own home once signed in, the operator's front page otherwise. */
export function Home() {
  const me = useMe();
  if (me.data && me.data.role === 'subscriber') return <SubscriberHome me={me.data} />;
  return <Landing staff={!!me.data && isStaff(me.data.role)} pending={me.isPending} />;
}

function Landing({ staff, pending }: { staff: boolean; pending: boolean }) {
  const { t } = useTranslation();
  return (
    <Stack gap="xl" py="lg">
      <Stack gap="md" maw={720}>
        <Title order={2} size="h1" data-testid="home-title">
          {t('home.title')}
        </Title>
        <Text size="lg" c="dimmed">
          {t('home.lead')}
        </Text>
        <Group>
          <Button size="md" component={Link} to="/plans" data-testid="home-plans">
            {t('home.browsePlans')}
          </Button>
          {staff ? (
            <Button size="md" variant="default" component={Link} to="/staff" data-testid="home-staff">
              {t('nav.staff')}
            </Button>
          ) : (
            !pending && (
              <Button size="md" variant="default" component={Link} to="/sign-in" data-testid="home-cta">
                {t('home.cta')}
              </Button>
            )
          )}
        </Group>
      </Stack>
      <Title order={3} size="h3">
        {t('home.featuresTitle')}
      </Title>
      <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }}>
        {FEATURES.map(({ key, icon: Icon }) => (
          <Card key={key} withBorder radius="md" padding="lg">
            <ThemeIcon size="lg" radius="md" variant="light" aria-hidden>
              <Icon size={20} />
            </ThemeIcon>
            <Text fw={600} mt="sm">
              {t(`home.features.${key}.title`)}
            </Text>
            <Text size="sm" c="dimmed" mt={4}>
              {t(`home.features.${key}.body`)}
            </Text>
          </Card>
        ))}
      </SimpleGrid>
    </Stack>
  );
}

const gb = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GB`;

const LINE_COLOR: Record<string, string> = {
  pending: 'yellow',
  active: 'green',
  expired: 'gray',
  failed: 'red',
  suspended: 'red',
  terminated: 'gray',
};

function LineSummary({ line, t }: { line: Line; t: TFunction }) {
  const { dataBytes, total } = line.allowances;
  const left = dataBytes ?? total.dataBytes;
  const days = daysLeft(line.expiresAt);
  return (
    <Card
      withBorder
      radius="md"
      padding="md"
      component={Link}
      to={`/lines/${line.id}`}
      data-testid="home-line"
    >
      {/* The plan's whole name: on a narrow phone the status goes under it instead of cutting it short. */}
      <Group justify="space-between" align="flex-start" gap="xs">
        <div style={{ flex: '1 1 9rem', minWidth: 0 }}>
          <Text fw={600}>{line.planName}</Text>
          <Text size="sm" c="dimmed">
            {line.msisdn}
          </Text>
        </div>
        <Badge color={LINE_COLOR[line.status]} style={{ flexShrink: 0 }}>
          {t(`lines.status.${line.status}`)}
        </Badge>
      </Group>
      {total.dataBytes > 0 && (
        <>
          <Progress
            value={(left / total.dataBytes) * 100}
            mt="sm"
            aria-label={t('lines.data')}
            data-testid="home-line-data"
          />
          <Group justify="space-between" mt={4} gap="xs">
            <Text size="xs" c="dimmed">
              {t('homeMe.dataLeft', { left: gb(left), total: gb(total.dataBytes) })}
            </Text>
            <Text size="xs" c="dimmed" data-testid="home-line-days">
              {days === null ? t('homeMe.startsOnInstall') : t('homeMe.daysLeft', { count: days })}
            </Text>
          </Group>
        </>
      )}
    </Card>
  );
}

function SubscriberHome({ me }: { me: Me }) {
  const { t, i18n } = useTranslation();
  const open = me.status !== 'deregistered';
  // A closed account may only read its closure and export: nothing else is asked for.
  const balance = useBalance(open);
  const lines = useLines(open);
  const tickets = useTickets(open);
  // A request to close exists only while the account is closing (or closed): no need to ask otherwise.
  const closing = isClosing(me);
  const cancellation = useCancellation(closing);
  const loaded = lines.data && tickets.data && (!closing || cancellation.isFetched);
  const step = loaded
    ? nextStep({
        cancellationStatus: cancellation.data?.status ?? null,
        lines: open ? lines.data.items : [],
        tickets: tickets.data.items,
      })
    : null;
  const shownLines = (lines.data?.items ?? []).filter((l) => l.status !== 'terminated');
  return (
    <Stack gap="lg" py="md">
      <Title order={2} data-testid="home-me-title">
        {t('homeMe.title')}
      </Title>
      {!open && (
        <Alert color="gray" data-testid="home-deregistered">
          <Stack gap="xs">
            <Text size="sm">{t('homeMe.deregistered')}</Text>
            <Group gap="xs">
              <Button size="compact-sm" variant="light" component={Link} to="/backup">
                {t('nav.backup')}
              </Button>
              <Button size="compact-sm" variant="light" component={Link} to="/help">
                {t('nav.help')}
              </Button>
            </Group>
          </Stack>
        </Alert>
      )}
      {closing && <ClosingNotice />}
      {step && step.kind !== 'buyPlan' && (
        <Card withBorder radius="md" padding="lg" bg="blue.0" data-testid="next-step" data-kind={step.kind}>
          <Text size="xs" fw={700} tt="uppercase" c="blue.9">
            {t('homeMe.nextStep')}
          </Text>
          <Text fw={600} mt={4}>
            {t(`homeMe.step.${step.kind}.title`, {
              plan: 'line' in step ? step.line.planName : '',
            })}
          </Text>
          <Text size="sm" c="dimmed" mt={2}>
            {t(`homeMe.step.${step.kind}.body`)}
          </Text>
          <Button component={Link} to={step.to} mt="sm" data-testid="next-step-go">
            {t(`homeMe.step.${step.kind}.action`)}
          </Button>
        </Card>
      )}
      {open && (
        <>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <Card withBorder radius="md" padding="lg">
              <Text size="sm" c="dimmed">
                {t('wallet.balance')}
              </Text>
              {balance.data ? (
                <Text fz={28} fw={700} data-testid="home-balance">
                  {formatMoney(balance.data as Money, i18n.language)}
                </Text>
              ) : (
                <Skeleton h={36} w={120} mt={4} />
              )}
              {open && (
                <Group gap="xs" mt="xs">
                  {!closing && (
                    <Button size="compact-sm" variant="light" component={Link} to="/wallet">
                      {t('homeMe.topUp')}
                    </Button>
                  )}
                  <Button size="compact-sm" variant="subtle" component={Link} to="/wallet">
                    {t('homeMe.statement')}
                  </Button>
                </Group>
              )}
            </Card>
            {open && !closing && (
              <Card withBorder radius="md" padding="lg">
                <Text size="sm" c="dimmed">
                  {t('homeMe.travelling')}
                </Text>
                <Text fw={600} mt={4}>
                  {t('homeMe.buyTitle')}
                </Text>
                <Button component={Link} to="/plans" mt="sm" data-testid="home-buy">
                  {t('home.browsePlans')}
                </Button>
              </Card>
            )}
          </SimpleGrid>
          <Group justify="space-between">
            <Title order={3} size="h4">
              {t('lines.title')}
            </Title>
            {shownLines.length > 0 && (
              <Button variant="subtle" size="compact-sm" component={Link} to="/lines">
                {t('homeMe.allLines')}
              </Button>
            )}
          </Group>
          {lines.isPending && <Skeleton h={96} />}
          {lines.data && shownLines.length === 0 && (
            <Text c="dimmed" data-testid="home-no-lines">
              {t('lines.none')}
            </Text>
          )}
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            {shownLines.map((l) => (
              <LineSummary key={l.id} line={l} t={t} />
            ))}
          </SimpleGrid>
        </>
      )}
    </Stack>
  );
}
