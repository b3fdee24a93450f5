import { Card, SimpleGrid, Stack, Tabs, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { useBalance } from '../api/subscriber.js';
import { BackToChecklist } from '../components/BackToChecklist.js';
import { ClosingNotice, useClosing } from '../components/ClosingNotice.js';
import { ResumePurchase } from '../components/ResumePurchase.js';
import { formatMoney } from '../format.js';
import { Refund } from './wallet/Refund.js';
import { Statement } from './wallet/Statement.js';
import { TopUp } from './wallet/TopUp.js';
import { Transfer } from './wallet/Transfer.js';

const TABS = ['topup', 'transfer', 'refund'] as const;

export function Wallet() {
  const { t, i18n } = useTranslation();
  // ?tab=refund (or transfer, topup) opens that tab: the closure checklist's fix link for a balance.
  const [params] = useSearchParams();
  const balance = useBalance();
  const currency = balance.data?.currency ?? 'CNY';
  // An open closure request: the server refuses every money action, so none is offered.
  const closing = useClosing();
  return (
    <Stack gap="lg" py="md">
      <BackToChecklist />
      <Title order={2}>{t('wallet.title')}</Title>
      {/* Back from the provider's page after "Top up and buy": the purchase finishes here. */}
      {params.get('topup') && <ResumePurchase topupId={params.get('topup')!} />}
      {closing && <ClosingNotice />}
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder radius="md" padding="lg">
          <Text size="sm" c="dimmed">
            {t('wallet.balance')}
          </Text>
          <Text fz={40} fw={700} data-testid="balance">
            {balance.data ? formatMoney(balance.data, i18n.language) : '…'}
          </Text>
          <Text size="sm" c="dimmed" mt="xs">
            {t('wallet.balanceHint')}
          </Text>
        </Card>
        {!closing && (
          <Card withBorder radius="md" padding="lg">
            <Tabs
              defaultValue={TABS.find((v) => v === params.get('tab')) ?? 'topup'}
              keepMounted={false}
              // Three tabs side by side on a 320 px phone: less padding than Mantine's default.
              styles={{ tab: { paddingInline: 'var(--mantine-spacing-xs)' } }}
            >
              <Tabs.List grow mb="md" style={{ flexWrap: 'nowrap' }}>
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
        )}
      </SimpleGrid>
      <Statement />
    </Stack>
  );
}
