import { Button, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';

export function NotFound() {
  const { t } = useTranslation();
  return (
    <Stack align="flex-start" py="xl" gap="md">
      <Title order={2} data-testid="not-found">
        {t('notFound.title')}
      </Title>
      <Text c="dimmed">{t('notFound.body')}</Text>
      <Button component={Link} to="/" variant="light">
        {t('notFound.home')}
      </Button>
    </Stack>
  );
}

/** A page that crashed: the header and navigation stay, the error is named, the page can be reloaded. */
export function PageError() {
  const { t } = useTranslation();
  return (
    <Stack align="flex-start" py="xl" gap="md" role="alert">
      <Title order={2} data-testid="page-error">
        {t('app.pageError')}
      </Title>
      <Text c="dimmed">{t('app.pageErrorBody')}</Text>
      <Button variant="light" onClick={() => window.location.reload()}>
        {t('app.reload')}
      </Button>
    </Stack>
  );
}
