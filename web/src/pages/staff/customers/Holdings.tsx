import { Anchor, Badge, Code, Group, SimpleGrid, Stack, Text, Timeline } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { TicketStatusBadge } from '../../../components/TicketThread.js';
import { deviceName } from '../../../device-name.js';
import { formatDateTime } from '../../../format.js';
import type { CustomerFile } from './customer.js';
import { Section } from './Section.js';

/** What the customer has with us: lines, devices, cancellation requests, tickets. */
export function CustomerHoldings({ customer }: { customer: CustomerFile }) {
  const { t, i18n } = useTranslation();
  const { lines, devices, requests, tickets } = customer;
  const when = (iso: string) => formatDateTime(iso, i18n.language);
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }}>
      <Section title={t('customers.lines')}>
        {lines.length === 0 && <Text c="dimmed">—</Text>}
        {lines.map((l) => (
          <Group key={l.id} justify="space-between" py={4}>
            <div>
              <Text fw={500}>{l.msisdn}</Text>
              <Text size="xs" c="dimmed">
                {l.planName}
              </Text>
            </div>
            <Badge variant="light">{t(`lines.status.${l.status}`)}</Badge>
          </Group>
        ))}
      </Section>
      <Section title={t('customers.devices')}>
        {devices.length === 0 && <Text c="dimmed">—</Text>}
        {devices.map((d) => (
          <div key={d.id}>
            <Text fw={500}>{deviceName(d.name, t)}</Text>
            <Text size="xs" c="dimmed">
              EID <Code>{d.eid}</Code> · ICCID <Code>{d.iccid}</Code>
            </Text>
          </div>
        ))}
      </Section>
      <Section title={t('customers.requests')}>
        {requests.length === 0 && <Text c="dimmed">—</Text>}
        {requests.map((r) => (
          <Stack key={r.id} gap={4} mb="sm">
            <Group gap="xs">
              <Badge variant="light" color={r.overdue ? 'red' : undefined}>
                {t(`close.status.${r.status}`)}
              </Badge>
              <Text size="xs" c="dimmed">
                {t('customers.dueBy', { date: when(r.dueBy) })}
              </Text>
            </Group>
            <Timeline bulletSize={10} lineWidth={2}>
              {r.events.map((e) => (
                <Timeline.Item key={`${e.status}-${e.at}`} title={t(`close.status.${e.status}`)}>
                  <Text size="xs" c="dimmed">
                    {when(e.at)} · {t(`staff.actorType.${e.actor}`)}
                  </Text>
                  {e.note && <Text size="xs">{e.note}</Text>}
                </Timeline.Item>
              ))}
            </Timeline>
          </Stack>
        ))}
      </Section>
      <Section title={t('customers.tickets')}>
        {tickets.length === 0 && <Text c="dimmed">—</Text>}
        {tickets.map((tk) => (
          <Group key={tk.id} justify="space-between" py={4}>
            <Anchor component={Link} to={`/staff/tickets/${tk.id}`} size="sm">
              {tk.subject}
            </Anchor>
            <TicketStatusBadge status={tk.status} />
          </Group>
        ))}
      </Section>
    </SimpleGrid>
  );
}
