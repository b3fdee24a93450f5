import { Alert, Anchor, Box, Button, Container, Group, ScrollArea, Text, Title } from '@mantine/core';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, NavLink, Outlet, useLocation } from 'react-router';
import { useMeta } from '../api/meta.js';
import { isStaff, useMe } from '../api/session.js';
import { i18next, LOCALE_CODES, type WebLocale } from '../i18n.js';
import { ActionNeeded } from './ActionNeeded.js';
import { BottomTabs, TAB_BAR_HEIGHT } from './BottomTabs.js';
import { LanguageSwitch } from './LanguageSwitch.js';

const SUBSCRIBER_NAV = [
  { key: 'plans', to: '/plans' },
  { key: 'lines', to: '/lines' },
  { key: 'devices', to: '/devices' },
  { key: 'wallet', to: '/wallet' },
  { key: 'usage', to: '/usage' },
  { key: 'backup', to: '/backup' },
  { key: 'help', to: '/help' },
] as const;

export function Layout() {
  const { pathname } = useLocation();
  const { t } = useTranslation();
  const meta = useMeta();
  const me = useMe();
  const brand = meta.data?.brandName ?? '';
  const demo = meta.data?.mode === 'demo';
  // Production running with a demo part allowed: staff must see it on every page, never subscribers.
  const riskyParts = meta.data?.mode === 'production' ? (meta.data?.demoParts ?? []) : [];
  const warnStaff = riskyParts.length > 0 && !!me.data && isStaff(me.data.role);
  // Subscribers get the section links: a row under the header on wide screens, a bottom tab bar on phones.
  const subscriberNav = !!me.data && !isStaff(me.data.role) && me.data.status !== 'deregistered';

  useEffect(() => {
    if (brand) document.title = brand;
  }, [brand]);

  // The account's language wins once it is known (it may have been chosen on another device).
  const accountLocale = me.data?.locale;
  useEffect(() => {
    if (
      accountLocale &&
      LOCALE_CODES.includes(accountLocale as WebLocale) &&
      accountLocale !== i18next.language
    ) {
      void i18next.changeLanguage(accountLocale);
    }
  }, [accountLocale]);

  return (
    <>
      <Box
        component="header"
        pos="sticky"
        top={0}
        bg="var(--mantine-color-body)"
        style={{ zIndex: 100, borderBottom: '1px solid var(--mantine-color-gray-3)' }}
      >
        {demo && (
          <Alert
            variant="filled"
            color="yellow"
            radius={0}
            py={6}
            role="status"
            data-testid="demo-banner"
            styles={{
              root: { background: 'var(--mantine-color-yellow-3)' },
              message: { fontSize: 'var(--mantine-font-size-xs)', color: 'var(--mantine-color-dark-9)' },
            }}
          >
            {t('app.demoBanner')}
          </Alert>
        )}
        {warnStaff && (
          <Alert variant="filled" color="red" radius={0} py={6} role="alert" data-testid="demo-parts-warning">
            {t('app.demoPartsWarning', {
              parts: new Intl.ListFormat(i18next.language, { type: 'conjunction' }).format(
                riskyParts.map((part) => t(`app.demoParts.${part}`, { defaultValue: part })),
              ),
            })}
          </Alert>
        )}
        <Container size="lg" h={56} px="md">
          <Group h="100%" justify="space-between" wrap="nowrap" gap="xs">
            <Anchor component={Link} to="/" underline="never" c="inherit" miw={0}>
              <Title
                order={1}
                size="h4"
                data-testid="brand"
                style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}
              >
                {brand}
              </Title>
            </Anchor>
            <Group gap="xs" wrap="nowrap" style={{ flexShrink: 0 }}>
              {/* On phones the home page leads to the plans and the tab bar holds the account. */}
              {!me.data && (
                <Button
                  component={Link}
                  to="/plans"
                  variant="subtle"
                  size="compact-sm"
                  visibleFrom="xs"
                  data-testid="nav-plans"
                >
                  {t('nav.plans')}
                </Button>
              )}
              {me.data ? (
                <Button
                  component={Link}
                  to={isStaff(me.data.role) ? '/staff' : '/account'}
                  variant="subtle"
                  size="compact-sm"
                  visibleFrom={subscriberNav ? 'sm' : undefined}
                  data-testid="nav-account"
                >
                  {isStaff(me.data.role) ? t('nav.staff') : t('nav.account')}
                </Button>
              ) : (
                <Button
                  component={Link}
                  to="/sign-in"
                  variant="light"
                  size="compact-sm"
                  data-testid="nav-sign-in"
                >
                  {t('nav.signIn')}
                </Button>
              )}
              <LanguageSwitch />
            </Group>
          </Group>
        </Container>
        {subscriberNav && (
          <Container size="lg" px="md" pb={6} visibleFrom="sm">
            <ScrollArea type="never">
              <Group gap={4} wrap="nowrap" component="nav" aria-label={t('nav.main')}>
                {SUBSCRIBER_NAV.map((item) => (
                  <Button
                    key={item.to}
                    component={NavLink}
                    to={item.to}
                    variant={pathname.startsWith(item.to) ? 'light' : 'subtle'}
                    size="compact-sm"
                    style={{ flexShrink: 0 }}
                    data-testid={`nav-${item.key}`}
                  >
                    {t(`nav.${item.key}`)}
                  </Button>
                ))}
              </Group>
            </ScrollArea>
          </Container>
        )}
        <ActionNeeded />
      </Box>
      <Box id="main">
        <Container size="lg" px="md">
          {meta.isError ? (
            <Alert color="red" role="alert" mt="md">
              {t('app.loadError')}
            </Alert>
          ) : (
            <Box component="main">
              <Outlet />
            </Box>
          )}
          <Text component="footer" size="xs" c="dimmed" ta="center" mt="xl" py="md">
            {t('app.footer', { brand })}
          </Text>
          {subscriberNav && <Box hiddenFrom="sm" h={TAB_BAR_HEIGHT} />}
        </Container>
      </Box>
      {subscriberNav && <BottomTabs />}
    </>
  );
}
