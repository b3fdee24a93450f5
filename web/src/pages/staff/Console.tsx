import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  ScrollArea,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, NavLink, Outlet, useLocation } from 'react-router';
import { api, unwrap } from '../../api/client.js';
import { useMeta } from '../../api/meta.js';
import type { Me } from '../../api/session.js';
import { SignOutButton } from '../Account.js';
import { staffKeys } from './keys.js';
import { StaffTable } from './StaffTable.js';

type Role = 'agent' | 'reviewer' | 'admin';
const SECTIONS: { key: string; to: string; roles: Role[]; demoOnly?: boolean }[] = [
  { key: 'dashboard', to: '/staff', roles: ['agent', 'reviewer', 'admin'] },
  { key: 'tickets', to: '/staff/tickets', roles: ['agent', 'reviewer', 'admin'] },
  { key: 'customers', to: '/staff/customers', roles: ['agent', 'reviewer', 'admin'] },
  { key: 'cancellations', to: '/staff/cancellations', roles: ['reviewer', 'admin'] },
  { key: 'policies', to: '/staff/policies', roles: ['agent', 'reviewer', 'admin'] },
  { key: 'members', to: '/staff/members', roles: ['admin'] },
  { key: 'heldUsage', to: '/staff/usage-holds', roles: ['admin'] },
  { key: 'jobs', to: '/staff/jobs', roles: ['admin'] },
  { key: 'audit', to: '/staff/audit', roles: ['admin'] },
  { key: 'mailbox', to: '/dev/mailbox', roles: ['agent', 'reviewer', 'admin'], demoOnly: true },
];

/** The staff console's frame: a section bar for what the role may use, then the section. */
export function StaffConsole({ me }: { me: Me }) {
  const { t } = useTranslation();
  const { pathname } = useLocation();
  const meta = useMeta();
  const role = me.role as Role;
  const sections = SECTIONS.filter(
    (s) => s.roles.includes(role) && (!s.demoOnly || meta.data?.mode === 'demo'),
  );
  return (
    <Stack gap="md" py="md">
      <Group justify="space-between" wrap="wrap" gap="xs">
        <Title order={2} data-testid="staff-title">
          {t('staff.title')}
        </Title>
        <Group gap="xs" wrap="nowrap">
          <Badge size="lg" variant="light" data-testid="staff-role">
            {t(`staff.role.${me.role}`)}
          </Badge>
          <SignOutButton />
        </Group>
      </Group>
      {me.status === 'suspended' ? (
        <Alert color="red" role="alert" data-testid="staff-suspended">
          {t('staff.suspended')}
        </Alert>
      ) : (
        <>
          <ScrollArea type="never">
            <Group gap={4} wrap="nowrap" component="nav" aria-label={t('staff.sections')}>
              {sections.map((s) => {
                const active = s.to === '/staff' ? pathname === '/staff' : pathname.startsWith(s.to);
                return (
                  <Button
                    key={s.key}
                    component={NavLink}
                    to={s.to}
                    end={s.to === '/staff'}
                    variant={active ? 'light' : 'subtle'}
                    size="compact-sm"
                    style={{ flexShrink: 0 }}
                    data-testid={`staff-nav-${s.key}`}
                  >
                    {t(`staff.nav.${s.key}`)}
                  </Button>
                );
              })}
            </Group>
          </ScrollArea>
          <Outlet />
        </>
      )}
    </Stack>
  );
}

function Figure({
  id,
  label,
  value,
  color,
  to,
}: {
  id: string;
  label: string;
  value: number | string;
  color?: string;
  to?: string;
}) {
  const body = (
    <>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="xl" fw={700} c={color} data-testid={`figure-${id}`}>
        {value}
      </Text>
    </>
  );
  return to ? (
    <Card withBorder radius="md" padding="md" component={Link} to={to} style={{ textDecoration: 'none' }}>
      {body}
    </Card>
  ) : (
    <Card withBorder radius="md" padding="md">
      {body}
    </Card>
  );
}

/** What needs attention now, and how the service has been doing per week. */
export function Dashboard() {
  const { t } = useTranslation();
  const hours = (h: number | null | undefined) =>
    h === null || h === undefined ? '—' : t('dashboard.hours', { count: h });
  const levels = useQuery({
    queryKey: staffKeys.serviceLevels,
    queryFn: () => unwrap(api.GET('/api/v1/staff/reports/service-levels')),
    refetchInterval: 30_000,
  });
  const data = levels.data;
  // A count in colour once it is not zero: what is late, unanswered or dead.
  const figures: { id: string; value: number | undefined; alarm?: string; to?: string }[] = [
    { id: 'openRequests', value: data?.cancellations.openNow, to: '/staff/cancellations' },
    { id: 'overdue', value: data?.cancellations.overdueNow, alarm: 'red', to: '/staff/cancellations' },
    { id: 'openTickets', value: data?.tickets.openNow, to: '/staff/tickets' },
    {
      id: 'unanswered',
      value: data?.tickets.unansweredNow,
      alarm: 'orange',
      to: '/staff/tickets?view=unassigned',
    },
    { id: 'deadJobs', value: data?.deadJobs, alarm: 'red' },
  ];
  return (
    <Stack gap="md">
      <SimpleGrid cols={{ base: 2, sm: 3, md: 5 }}>
        {figures.map(({ id, value, alarm, to }) => (
          <Figure
            key={id}
            id={id}
            label={t(`dashboard.${id}`)}
            value={value ?? '…'}
            color={value ? alarm : undefined}
            to={to}
          />
        ))}
      </SimpleGrid>
      <Card withBorder radius="md" padding="lg">
        <Group justify="space-between" mb="sm">
          <Title order={3} size="h4">
            {t('dashboard.reviewLevels')}
          </Title>
          <Button
            component="a"
            href="/api/v1/staff/reports/cancellations.csv"
            variant="default"
            size="compact-sm"
            data-testid="sla-csv"
          >
            {t('dashboard.csv')}
          </Button>
        </Group>
        <StaffTable
          heads={[
            t('dashboard.week'),
            { right: t('dashboard.submitted') },
            { right: t('dashboard.median') },
            { right: t('dashboard.p90') },
            { right: t('dashboard.max') },
            t('dashboard.outcomes'),
          ]}
          minWidth={640}
          testId="sla-table"
          empty={data?.cancellations.weeks.length === 0 && t('dashboard.noData')}
        >
          {data?.cancellations.weeks.map((w) => (
            <Table.Tr key={w.week}>
              <Table.Td>{w.week}</Table.Td>
              <Table.Td ta="right">{w.submitted}</Table.Td>
              <Table.Td ta="right">{hours(w.hoursToDecision.median)}</Table.Td>
              <Table.Td ta="right">{hours(w.hoursToDecision.p90)}</Table.Td>
              <Table.Td ta="right">{hours(w.hoursToDecision.max)}</Table.Td>
              <Table.Td>
                <Text size="xs">
                  {t('dashboard.outcomeLine', {
                    approved: w.outcomes.approved,
                    info: w.outcomes.infoRequested,
                    rejected: w.outcomes.rejected,
                    withdrawn: w.outcomes.withdrawn,
                  })}
                </Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </StaffTable>
      </Card>
      <Card withBorder radius="md" padding="lg">
        <Title order={3} size="h4" mb="sm">
          {t('dashboard.ticketLevels')}
        </Title>
        <StaffTable
          heads={[
            t('dashboard.week'),
            { right: t('dashboard.opened') },
            { right: t('dashboard.median') },
            { right: t('dashboard.p90') },
            { right: t('dashboard.max') },
          ]}
          minWidth={480}
          empty={data?.tickets.weeks.length === 0 && t('dashboard.noData')}
        >
          {data?.tickets.weeks.map((w) => (
            <Table.Tr key={w.week}>
              <Table.Td>{w.week}</Table.Td>
              <Table.Td ta="right">{w.opened}</Table.Td>
              <Table.Td ta="right">{hours(w.hoursToFirstResponse.median)}</Table.Td>
              <Table.Td ta="right">{hours(w.hoursToFirstResponse.p90)}</Table.Td>
              <Table.Td ta="right">{hours(w.hoursToFirstResponse.max)}</Table.Td>
            </Table.Tr>
          ))}
        </StaffTable>
      </Card>
    </Stack>
  );
}
