import { Alert, Anchor, Button, Card, List, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client.js';
import { keys } from '../api/keys.js';
import { useApiMutation } from '../api/mutation.js';

/** "Back up my data" (R11): request an export, watch it being built, download it. */
export function Backup() {
  const { t } = useTranslation();
  const [requested, setExportId] = useState<string | null>(null);
  // The latest export survives a reload or a later visit (also after deregistration).
  const previous = useQuery({
    queryKey: keys.exports.all,
    queryFn: () => unwrap(api.GET('/api/v1/me/exports')),
  });
  const exportId = requested ?? previous.data?.items[0]?.id ?? null;
  const start = useApiMutation(() => unwrap(api.POST('/api/v1/me/exports')), {
    onSuccess: (r) => setExportId(r.id),
  });
  const status = useQuery({
    queryKey: keys.exports.one(exportId ?? ''),
    enabled: exportId !== null,
    queryFn: () => unwrap(api.GET('/api/v1/me/exports/{id}', { params: { path: { id: exportId ?? '' } } })),
    refetchInterval: (q) => (q.state.data?.status === 'pending' ? 1000 : false),
  });
  const s = status.data;
  return (
    <Stack gap="lg" py="md">
      <Title order={2}>{t('backup.title')}</Title>
      <Card withBorder radius="md" padding="lg">
        <Text>{t('backup.intro')}</Text>
        <List size="sm" mt="sm">
          {['profile', 'ledger', 'calls', 'sms', 'data', 'devices', 'tickets'].map((k) => (
            <List.Item key={k}>{t(`backup.files.${k}`)}</List.Item>
          ))}
        </List>
        <Button
          mt="md"
          onClick={() => start.mutate()}
          loading={start.isPending || s?.status === 'pending'}
          data-testid="export-start"
        >
          {t('backup.start')}
        </Button>
      </Card>
      {s?.status === 'ready' && s.downloadUrl && (
        <Alert color="green" data-testid="export-ready">
          {t('backup.ready')}{' '}
          <Anchor href={s.downloadUrl} data-testid="export-download">
            {t('backup.download')}
          </Anchor>
        </Alert>
      )}
      {s?.status === 'failed' && <Alert color="red">{t('backup.failed')}</Alert>}
    </Stack>
  );
}
