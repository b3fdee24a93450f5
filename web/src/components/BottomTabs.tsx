import { Box, Group, Text, UnstyledButton } from '@mantine/core';
import { IconDeviceSim, IconHelpCircle, IconUser, IconWallet, IconWorld } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'react-router';

/** The five places a traveller goes on a phone, always one thumb away; usage is reached from the account. */
export const TABS = [
  { key: 'plans', to: '/plans', icon: IconWorld, match: ['/plans'] },
  { key: 'lines', to: '/lines', icon: IconDeviceSim, match: ['/lines', '/devices'] },
  { key: 'wallet', to: '/wallet', icon: IconWallet, match: ['/wallet'] },
  { key: 'help', to: '/help', icon: IconHelpCircle, match: ['/help'] },
  { key: 'account', to: '/account', icon: IconUser, match: ['/account', '/backup', '/usage'] },
] as const;

export const TAB_BAR_HEIGHT = 60;

/** A bottom tab bar, shown on phones only (below the `sm` breakpoint); the header keeps the rest. */
export function BottomTabs() {
  const { t } = useTranslation();
  const { pathname } = useLocation();
  return (
    <Box
      component="nav"
      aria-label={t('nav.tabs')}
      hiddenFrom="sm"
      pos="fixed"
      bottom={0}
      left={0}
      right={0}
      bg="var(--mantine-color-body)"
      data-testid="tab-bar"
      style={{
        zIndex: 150,
        borderTop: '1px solid var(--mantine-color-gray-3)',
        paddingBottom: 'env(safe-area-inset-bottom)',
      }}
    >
      <Group h={TAB_BAR_HEIGHT} gap={0} wrap="nowrap" justify="space-around">
        {TABS.map((tab) => {
          const active = tab.match.some((m) => pathname.startsWith(m));
          return (
            <UnstyledButton
              key={tab.key}
              component={Link}
              to={tab.to}
              aria-current={active ? 'page' : undefined}
              data-testid={`tabbar-${tab.key}`}
              style={{
                flex: '1 1 0',
                minWidth: 0,
                height: '100%',
                display: 'flex',
                flexDirection: 'column',
                alignItems: 'center',
                justifyContent: 'center',
                color: active ? 'var(--mantine-color-blue-9)' : 'var(--mantine-color-gray-7)',
              }}
            >
              <tab.icon size={22} stroke={active ? 2.2 : 1.6} aria-hidden />
              <Text component="span" fz={11} fw={active ? 700 : 500} mt={4} truncate maw="100%">
                {/* A tab has about 64 px on a 320 px phone: a shorter label where the menu's is too long. */}
                {t([`nav.short.${tab.key}`, `nav.${tab.key}`])}
              </Text>
            </UnstyledButton>
          );
        })}
      </Group>
    </Box>
  );
}
