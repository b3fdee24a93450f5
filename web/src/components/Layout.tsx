import { Alert, Anchor, AppShell, Container, Group, Text, Title } from '@mantine/core';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Outlet } from 'react-router';
import { useMeta } from '../api/meta.js';
import { LanguageSwitch } from './LanguageSwitch.js';

export function Layout() {
  const { t } = useTranslation();
  const meta = useMeta();
  const brand = meta.data?.brandName ?? '';
  const demo = meta.data?.mode === 'demo';

  useEffect(() => {
    if (brand) document.title = brand;
  }, [brand]);

  return (
    <AppShell header={{ height: demo ? 96 : 56 }} padding="md">
      <AppShell.Header>
        {demo && (
          <Alert
            variant="filled"
            color="orange"
            radius={0}
            py={6}
            role="status"
            data-testid="demo-banner"
            styles={{ message: { fontSize: 'var(--mantine-font-size-xs)' } }}
          >
            {t('app.demoBanner')}
          </Alert>
        )}
        <Container size="lg" h={56}>
          <Group h="100%" justify="space-between" wrap="nowrap">
            <Anchor component={Link} to="/" underline="never" c="inherit">
              <Title order={1} size="h4" data-testid="brand">
                {brand}
              </Title>
            </Anchor>
            <LanguageSwitch />
          </Group>
        </Container>
      </AppShell.Header>
      <AppShell.Main id="main">
        <Container size="lg">
          {meta.isError ? (
            <Alert color="red" role="alert">
              {t('app.loadError')}
            </Alert>
          ) : (
            <Outlet />
          )}
          <Text component="footer" size="xs" c="dimmed" ta="center" mt="xl" py="md">
            {t('app.footer', { brand })}
          </Text>
        </Container>
      </AppShell.Main>
    </AppShell>
  );
}
