import { Alert, Button, Card, Group, Modal, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api, unwrap } from '../api/client.js';
import { keys } from '../api/keys.js';
import { formErrorsOf, useApiMutation } from '../api/mutation.js';
import { BackToChecklist } from '../components/BackToChecklist.js';
import { Checkout } from '../components/Checkout.js';
import { deviceName } from '../device-name.js';
import { formatDateTime } from '../format.js';

/** The device's name, editable in place. */
function DeviceName({ id, name }: { id: string; name: string }) {
  const { t } = useTranslation();
  const [editing, setEditing] = useState(false);
  const form = useForm({ initialValues: { name } });
  const rename = useApiMutation(
    (value: string) =>
      unwrap(api.PATCH('/api/v1/me/devices/{id}', { params: { path: { id } }, body: { name: value } })),
    {
      invalidates: [keys.devices.all],
      onSuccess: () => setEditing(false),
      onError: (e) => form.setErrors(formErrorsOf(e, ['name'])),
    },
  );
  function edit() {
    form.setValues({ name });
    setEditing(true);
  }
  if (!editing) {
    return (
      <Group gap="xs">
        <Text fw={600} data-testid="device-name">
          {deviceName(name, t)}
        </Text>
        <Button size="compact-xs" variant="subtle" onClick={edit} data-testid="rename">
          {t('devices.rename')}
        </Button>
      </Group>
    );
  }
  return (
    <form
      onSubmit={form.onSubmit(({ name: draft }) => {
        if (draft.trim()) rename.mutate(draft.trim());
      })}
    >
      <Group gap="xs">
        <TextInput
          size="xs"
          {...form.getInputProps('name')}
          maxLength={60}
          aria-label={t('devices.rename')}
          data-testid="rename-input"
          autoFocus
        />
        <Button size="compact-sm" type="submit" loading={rename.isPending} data-testid="rename-save">
          {t('devices.save')}
        </Button>
      </Group>
    </form>
  );
}

/** 设备管理 / Devices (R7): every device an eSIM is installed on, each with 解除绑定 / Unbind. */
export function Devices() {
  const { t, i18n } = useTranslation();
  const devices = useQuery({
    queryKey: keys.devices.all,
    queryFn: () => unwrap(api.GET('/api/v1/me/devices')),
  });
  const [confirm, setConfirm] = useState<{ id: string; name: string } | null>(null);
  const unbind = useApiMutation(
    (id: string) => unwrap(api.DELETE('/api/v1/me/devices/{id}', { params: { path: { id } } })),
    { invalidates: 'all', onSettled: () => setConfirm(null) },
  );
  const navigate = useNavigate();
  // Moving to a new phone is confirmed like a purchase: what happens to each phone, and that it costs nothing.
  const [moving, setMoving] = useState<{ id: string; name: string; lineId: string } | null>(null);
  const items = devices.data?.items ?? [];
  return (
    <Stack gap="lg" py="md">
      <BackToChecklist />
      <Title order={2}>{t('devices.title')}</Title>
      <Text c="dimmed">{t('devices.intro')}</Text>
      {items.length === 0 && !devices.isPending && <Text data-testid="no-devices">{t('devices.none')}</Text>}
      {items.map((d) => (
        <Card key={d.id} withBorder radius="md" padding="lg" data-testid="device-card">
          <Group justify="space-between" wrap="wrap" gap="sm">
            <div>
              <DeviceName id={d.id} name={d.name} />
              <Text size="xs" c="dimmed">
                EID {d.eid}
              </Text>
              <Text size="xs" c="dimmed">
                {t('devices.boundAt', { date: formatDateTime(d.boundAt, i18n.language) })}
              </Text>
            </div>
            <Group gap="xs" wrap="nowrap">
              <Button variant="default" onClick={() => setMoving(d)} data-testid="move">
                {t('devices.move')}
              </Button>
              <Button
                color="red"
                variant="light"
                onClick={() => setConfirm({ id: d.id, name: deviceName(d.name, t) })}
                data-testid="unbind"
              >
                {t('devices.unbind')}
              </Button>
            </Group>
          </Group>
        </Card>
      ))}
      {unbind.errorMessage && <Alert color="red">{unbind.errorMessage}</Alert>}
      <Checkout
        opened={moving !== null}
        onClose={() => setMoving(null)}
        title={t('devices.move')}
        facts={[
          { label: t('checkout.newPhone'), value: t('checkout.newPhoneValue') },
          { label: t('checkout.oldPhone'), value: t('checkout.oldPhoneValue', { name: moving?.name ?? '' }) },
        ]}
        price={null}
        confirmLabel={t('checkout.confirm')}
        purchase={(key) =>
          unwrap(
            api.POST('/api/v1/me/devices/{id}/move', {
              params: { path: { id: moving?.id ?? '' }, header: { 'idempotency-key': key } },
            }),
          )
        }
        onDone={() => moving && navigate(`/lines/${moving.lineId}`)}
      />
      <Modal
        opened={confirm !== null}
        onClose={() => setConfirm(null)}
        title={t('devices.confirmTitle')}
        centered
      >
        <Stack>
          <Text>{t('devices.confirmText', { name: confirm?.name })}</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirm(null)}>
              {t('wallet.cancel')}
            </Button>
            <Button
              color="red"
              loading={unbind.isPending}
              onClick={() => confirm && unbind.mutate(confirm.id)}
              data-testid="unbind-confirm"
            >
              {t('devices.unbind')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
