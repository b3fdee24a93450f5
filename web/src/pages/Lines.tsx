import { Alert, Badge, Button, Card, Group, Progress, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../api/client.js';
import { keys } from '../api/keys.js';
import { useMeta } from '../api/meta.js';
import { useApiMutation } from '../api/mutation.js';
import { useLines } from '../api/subscriber.js';
import { Checkout } from '../components/Checkout.js';
import { InstallGuide } from '../components/Install.js';
import { SuspendCard } from '../components/SuspendCard.js';
import { wrappingButton } from '../components/wrapping-button.js';
import { formatDateTime } from '../format.js';
import { AddonShop, NetworkPicker, PlanChange } from './LineExtras.js';

type Line = Awaited<ReturnType<typeof fetchLine>>;
type Esim = Line['esims'][number];

function fetchLine(id: string) {
  return unwrap(api.GET('/api/v1/me/lines/{id}', { params: { path: { id } } }));
}

const STATE_COLOR: Record<string, string> = {
  ordering: 'gray',
  allocated: 'gray',
  released: 'blue',
  downloaded: 'blue',
  installed: 'green',
  disabling: 'orange',
  unusable: 'gray',
  failed: 'red',
  pending: 'yellow',
  active: 'green',
  expired: 'gray',
  suspended: 'red',
  terminated: 'gray',
};

/** A random EID with valid MOD 97-10 check digits, for the demo's simulated phone. */
function demoEid(): string {
  const body = `89049032${Array.from({ length: 22 }, () => Math.floor(Math.random() * 10)).join('')}`;
  const check = 98n - (BigInt(`${body}00`) % 97n);
  return body + check.toString().padStart(2, '0');
}

function Allowance({
  label,
  left,
  total,
  format,
}: {
  label: string;
  left: number | null;
  total: number;
  format: (n: number) => string;
}) {
  if (total === 0) return null;
  const value = left ?? total;
  return (
    <div>
      <Group justify="space-between">
        <Text size="sm">{label}</Text>
        <Text size="sm" c="dimmed">
          {format(value)} / {format(total)}
        </Text>
      </Group>
      <Progress value={(value / total) * 100} mt={4} aria-label={label} />
    </div>
  );
}

function EsimCard({ esim }: { esim: Esim }) {
  const { t } = useTranslation();
  const meta = useMeta();
  const install = useApiMutation(
    () =>
      unwrap(
        api.POST('/emulator/smdp/devices/{eid}/download', {
          params: { path: { eid: demoEid() } },
          body: { activationCode: esim.activationCode ?? '' },
        }),
      ),
    { invalidates: 'all' },
  );
  const installable = esim.state === 'released' && esim.activationCode;
  return (
    <Card withBorder radius="md" padding="lg" data-testid="esim-card">
      <Group justify="space-between" mb="sm">
        <Text fw={600}>{t('lines.esim')}</Text>
        <Badge color={STATE_COLOR[esim.state]} data-testid="esim-state">
          {t(`lines.esimState.${esim.state}`)}
        </Badge>
      </Group>
      {esim.state === 'ordering' || esim.state === 'allocated' ? (
        <Text c="dimmed">{t('lines.preparing')}</Text>
      ) : null}
      {installable && (
        <Stack gap="sm">
          <InstallGuide esimId={esim.id} code={esim.activationCode ?? ''} />
          {meta.data?.demoParts.includes('smdp-emulator') && (
            <Button
              variant="light"
              color="orange"
              styles={wrappingButton}
              loading={install.isPending}
              onClick={() => install.mutate()}
              data-testid="simulate-install"
            >
              {t('lines.simulateInstall')}
            </Button>
          )}
          {install.errorMessage && <Alert color="red">{install.errorMessage}</Alert>}
        </Stack>
      )}
      {esim.iccid && (
        <Text size="xs" c="dimmed" mt="sm">
          ICCID {esim.iccid}
          {esim.eid ? ` · EID ${esim.eid}` : ''}
        </Text>
      )}
    </Card>
  );
}

export function LineDetail() {
  const { t, i18n } = useTranslation();
  const { id = '' } = useParams();
  const line = useQuery({
    queryKey: keys.lines.one(id),
    queryFn: () => fetchLine(id),
    refetchInterval: (q) =>
      q.state.data?.esims.some((e) => ['ordering', 'allocated', 'disabling'].includes(e.state))
        ? 1000
        : false,
  });
  const [addingDevice, setAddingDevice] = useState(false);
  if (!line.data) return null;
  const l = line.data;
  const gb = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  // A profile waiting to be installed comes first: installing is the one thing to do on this page.
  const waiting = l.esims.some((e) => ['ordering', 'allocated', 'released'].includes(e.state));
  const esims = (
    <SimpleGrid cols={{ base: 1, md: 2 }}>
      {l.esims.map((e) => (
        <EsimCard key={e.id} esim={e} />
      ))}
    </SimpleGrid>
  );
  return (
    <Stack gap="lg" py="md">
      <Group justify="space-between">
        <div>
          <Title order={2} data-testid="line-title">
            {l.planName}
          </Title>
          <Text c="dimmed" data-testid="line-msisdn">
            {l.msisdn}
          </Text>
        </div>
        <Badge size="lg" color={STATE_COLOR[l.status]} data-testid="line-status">
          {t(`lines.status.${l.status}`)}
        </Badge>
      </Group>
      {waiting && esims}
      <Card withBorder radius="md" padding="lg">
        <Stack gap="sm">
          <Text fw={600}>{t('lines.allowances')}</Text>
          <Allowance
            label={t('lines.data')}
            left={l.allowances.dataBytes}
            total={l.allowances.total.dataBytes}
            format={gb}
          />
          <Allowance
            label={t('lines.voice')}
            left={l.allowances.voiceSeconds}
            total={l.allowances.total.voiceSeconds}
            format={(s) => t('plans.minutes', { n: Math.floor(s / 60) })}
          />
          <Allowance
            label={t('lines.sms')}
            left={l.allowances.sms}
            total={l.allowances.total.sms}
            format={(n) => String(n)}
          />
          <Text size="sm" c="dimmed">
            {l.expiresAt
              ? t('lines.expires', { date: formatDateTime(l.expiresAt, i18n.language) })
              : t('lines.startsOnInstall')}
          </Text>
        </Stack>
      </Card>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <NetworkPicker lineId={l.id} planId={l.planId} />
        <AddonShop lineId={l.id} active={l.status === 'active'} />
        <PlanChange lineId={l.id} planId={l.planId} active={l.status === 'active'} />
      </SimpleGrid>
      {!waiting && esims}
      <Group>
        <Button variant="default" onClick={() => setAddingDevice(true)} data-testid="add-device">
          {t('lines.addDevice')}
        </Button>
        <Button component={Link} to="/devices" variant="subtle">
          {t('nav.devices')}
        </Button>
      </Group>
      <LostOrStolen lineId={l.id} status={l.status} />
      <Checkout
        opened={addingDevice}
        onClose={() => setAddingDevice(false)}
        title={t('lines.addDevice')}
        facts={[
          { label: t('checkout.device'), value: t('checkout.deviceValue', { msisdn: l.msisdn }) },
          { label: t('checkout.allowance'), value: t('checkout.sharedAllowance') },
        ]}
        price={null}
        confirmLabel={t('lines.addDevice')}
        purchase={(key) =>
          unwrap(
            api.POST('/api/v1/me/lines/{id}/esims', {
              params: { path: { id }, header: { 'idempotency-key': key } },
            }),
          )
        }
        onDone={() => setAddingDevice(false)}
      />
    </Stack>
  );
}

export function LinesList() {
  const { t } = useTranslation();
  const lines = useLines();
  return (
    <Stack gap="lg" py="md">
      <Title order={2}>{t('lines.title')}</Title>
      {lines.data?.items.length === 0 && (
        <Text c="dimmed">
          {t('lines.none')} <Link to="/plans">{t('home.browsePlans')}</Link>
        </Text>
      )}
      {lines.data?.items.map((l) => (
        <Card
          key={l.id}
          withBorder
          radius="md"
          padding="lg"
          component={Link}
          to={`/lines/${l.id}`}
          data-testid="line-card"
        >
          <Group justify="space-between">
            <div>
              <Text fw={600}>{l.planName}</Text>
              <Text size="sm" c="dimmed">
                {l.msisdn}
              </Text>
            </div>
            <Badge color={STATE_COLOR[l.status]}>{t(`lines.status.${l.status}`)}</Badge>
          </Group>
        </Card>
      ))}
    </Stack>
  );
}

/** Lost or stolen, for this line only: barred at once; resuming needs a sign-in from the last ten minutes. */
function LostOrStolen({ lineId, status }: { lineId: string; status: string }) {
  const queryClient = useQueryClient();
  const path = { params: { path: { id: lineId } } };
  return (
    <SuspendCard
      texts="lines.lost"
      testId="line"
      status={status}
      suspend={() => unwrap(api.POST('/api/v1/me/lines/{id}/suspend', path))}
      resume={() => unwrap(api.POST('/api/v1/me/lines/{id}/resume', path))}
      onDone={() => void queryClient.invalidateQueries({ queryKey: keys.lines.one(lineId) })}
    />
  );
}
