import { Alert, Badge, Button, Card, Group, Select, Stack, Table, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, isApiError, unwrap } from '../../../api/client.js';
import { formatDateTime } from '../../../format.js';

const ROLES = ['agent', 'reviewer', 'admin'] as const;
type StaffRole = (typeof ROLES)[number];

/** The staff team: admins invite members, change their role, or disable them (never themselves). */
export function MembersPage({ myId }: { myId: string }) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const members = useQuery({
    queryKey: ['members'],
    queryFn: () => unwrap(api.GET('/api/v1/staff/members')),
  });
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<StaffRole>('agent');
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const onError = (e: unknown) =>
    setOutcome({ ok: false, text: isApiError(e) ? e.message : t('app.loadError') });
  const invite = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/staff/members', { body: { email: email.trim(), role } })),
    onSuccess: () => {
      setEmail('');
      setOutcome({ ok: true, text: t('members.invited') });
      void queryClient.invalidateQueries({ queryKey: ['members'] });
    },
    onError,
  });
  const update = useMutation({
    mutationFn: (input: { id: string; role?: StaffRole; disabled?: boolean }) =>
      unwrap(
        api.PATCH('/api/v1/staff/members/{id}', {
          params: { path: { id: input.id } },
          body: { role: input.role, disabled: input.disabled },
        }),
      ),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['members'] }),
    onError,
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    setOutcome(null);
    invite.mutate();
  }
  return (
    <Stack gap="md">
      <Card withBorder radius="md" padding="lg" component="form" onSubmit={submit}>
        <Title order={3} size="h4" mb="sm">
          {t('members.invite')}
        </Title>
        <Group align="flex-end" wrap="wrap">
          <TextInput
            label={t('members.email')}
            type="email"
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            style={{ flex: 1, minWidth: 220 }}
            data-testid="member-email"
          />
          <Select
            label={t('members.role')}
            value={role}
            allowDeselect={false}
            onChange={(v) => v && setRole(v as StaffRole)}
            data={ROLES.map((r) => ({ value: r, label: t(`staff.role.${r}`) }))}
            w={180}
          />
          <Button
            type="submit"
            loading={invite.isPending}
            disabled={!email.includes('@')}
            data-testid="member-invite"
          >
            {t('members.send')}
          </Button>
        </Group>
        {outcome && (
          <Alert color={outcome.ok ? 'green' : 'red'} mt="sm">
            {outcome.text}
          </Alert>
        )}
      </Card>
      <Card withBorder radius="md" padding="lg">
        <Table.ScrollContainer minWidth={560}>
          <Table striped data-testid="members-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('members.email')}</Table.Th>
                <Table.Th>{t('members.role')}</Table.Th>
                <Table.Th>{t('members.since')}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {members.data?.items.map((m) => (
                <Table.Tr key={m.id} opacity={m.disabled ? 0.55 : 1}>
                  <Table.Td>
                    {m.email} {m.disabled && <Badge color="gray">{t('members.disabled')}</Badge>}
                  </Table.Td>
                  <Table.Td>
                    <Select
                      size="xs"
                      aria-label={t('members.role')}
                      value={m.role}
                      allowDeselect={false}
                      disabled={m.id === myId}
                      onChange={(v) => v && update.mutate({ id: m.id, role: v as StaffRole })}
                      data={ROLES.map((r) => ({ value: r, label: t(`staff.role.${r}`) }))}
                      w={170}
                    />
                  </Table.Td>
                  <Table.Td>{formatDateTime(m.createdAt, i18n.language)}</Table.Td>
                  <Table.Td>
                    {m.id !== myId && (
                      <Button
                        size="compact-xs"
                        variant="subtle"
                        color={m.disabled ? 'blue' : 'red'}
                        onClick={() => update.mutate({ id: m.id, disabled: !m.disabled })}
                      >
                        {m.disabled ? t('members.enable') : t('members.disable')}
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Card>
    </Stack>
  );
}
