import { Button, Group, SimpleGrid, Table, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { formatDateTime, formatMoney } from '../../../format.js';
import { statementWhat } from '../../../statement-what.js';
import { actionLabel } from '../labels.js';
import type { CustomerFile } from './customer.js';
import { Section } from './Section.js';

/** The money, message and audit history, newest first; agents may send a message again. */
export function CustomerHistory({
  customer,
  agentish,
  onResend,
}: {
  customer: CustomerFile;
  agentish: boolean;
  onResend: (messageId: string) => void;
}) {
  const { t, i18n } = useTranslation();
  const { statement, messages, audit } = customer;
  const when = (iso: string) => formatDateTime(iso, i18n.language);
  return (
    <>
      <Section title={t('customers.statement')}>
        <Table.ScrollContainer minWidth={480}>
          <Table striped>
            <Table.Tbody>
              {statement.map((s) => (
                <Table.Tr key={s.id}>
                  <Table.Td>{statementWhat(s, t)}</Table.Td>
                  <Table.Td ta="right">{formatMoney(s.amount, i18n.language)}</Table.Td>
                  <Table.Td ta="right">{formatMoney(s.balanceAfter, i18n.language)}</Table.Td>
                  <Table.Td>{when(s.createdAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Section>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Section title={t('customers.messages')}>
          {messages.map((m) => (
            <Group key={m.id} justify="space-between" wrap="nowrap" py={2}>
              <div style={{ minWidth: 0 }}>
                <Text size="sm" truncate>
                  {m.subject ?? t(`customers.template.${m.template}`, { defaultValue: m.template })}
                </Text>
                <Text size="xs" c="dimmed">
                  {t(`customers.channel.${m.channel}`)} · {t(`customers.messageStatus.${m.status}`)} ·{' '}
                  {when(m.createdAt)}
                </Text>
              </div>
              {agentish && !['sign_in_code', 'contact_code'].includes(m.template) && (
                <Button size="compact-xs" variant="subtle" onClick={() => onResend(m.id)}>
                  {t('customers.resend')}
                </Button>
              )}
            </Group>
          ))}
        </Section>
        <Section title={t('staff.audit')}>
          {audit.map((a) => (
            <Text key={a.id} size="xs">
              {actionLabel(a.action, t)} · {a.actor.email ?? t(`staff.actorType.${a.actor.type}`)} ·{' '}
              {when(a.createdAt)}
            </Text>
          ))}
        </Section>
      </SimpleGrid>
    </>
  );
}
