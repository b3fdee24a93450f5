import { Button, Card, Group, SimpleGrid, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';

const FEATURES = [
  { key: 'esim', icon: '▣' },
  { key: 'plans', icon: '◎' },
  { key: 'balance', icon: '¤' },
  { key: 'leave', icon: '↩' },
] as const;

export function Home() {
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
        <div>
          <Group>
            <Button size="md" component={Link} to="/sign-in" data-testid="home-cta">
              {t('home.cta')}
            </Button>
            <Button size="md" variant="default" component={Link} to="/plans" data-testid="home-plans">
              {t('home.browsePlans')}
            </Button>
          </Group>
        </div>
      </Stack>
      <Title order={3} size="h3">
        {t('home.featuresTitle')}
      </Title>
      <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }}>
        {FEATURES.map(({ key, icon }) => (
          <Card key={key} withBorder radius="md" padding="lg">
            <ThemeIcon size="lg" radius="md" variant="light" aria-hidden>
              {icon}
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
