import { Alert, Anchor, Button, Card, Group, Stack, Text } from '@mantine/core';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { fixLink } from '../../components/BackToChecklist.js';
import { formatMoney, type Money } from '../../format.js';
import { supportLink } from '../Help.js';

interface Blocker {
  code: string;
  message: string;
  fixAt: string;
  details?: Record<string, unknown>;
}

type Way = 'refund' | 'transfer' | 'forfeit' | 'topup' | 'waiver';

/** The preflight checklist: what stands in the way of closing, each with its fix and a way to ask support. */
export function Checklist({ blockers, eligible }: { blockers: Blocker[]; eligible: boolean }) {
  const { t } = useTranslation();
  return (
    <Card withBorder radius="md" padding="lg">
      <Text fw={600} mb="sm">
        {t('close.checklist')}
      </Text>
      {blockers.length === 0 && eligible && (
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
        {t('close.backupFirst')}{' '}
        <Anchor component={Link} to="/backup" size="sm" underline="always">
          {t('nav.backup')}
        </Anchor>
      </Text>
    </Card>
  );
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
function BalanceWays({ blocker }: { blocker: Blocker }) {
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
