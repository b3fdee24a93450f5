import { Alert, Badge, Button, Card, Group, Select, Stack, Table, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../../api/client.js';
import { useApiMutation } from '../../../api/mutation.js';
import { formatDateTime } from '../../../format.js';
import { staffKeys } from '../keys.js';
import { StaffTable } from '../StaffTable.js';

const ROLES = ['agent', 'reviewer', 'admin'] as const;
type StaffRole = (typeof ROLES)[number];

/** The staff team: admins invite members, change their role, or disable them (never themselves). */
export function MembersPage({ myId }: { myId: string }) {
  const { t, i18n } = useTranslation();
  const members = useQuery({
    queryKey: staffKeys.members,
    queryFn: () => unwrap(api.GET('/api/v1/staff/members')),
  });
  const update = useApiMutation(
    (input: { id: string; role?: StaffRole; disabled?: boolean }) =>
      unwrap(
        api.PATCH('/api/v1/staff/members/{id}', {
          params: { path: { id: input.id } },
          body: { role: input.role, disabled: input.disabled },
        }),
      ),
    { invalidates: [staffKeys.members] },
  );
  const roles = ROLES.map((r) => ({ value: r, label: t(`staff.role.${r}`) }));
  return (
    <Stack gap="md">
      <InviteMember roles={roles} failed={update.errorMessage} />
      <Card withBorder radius="md" padding="lg">
        <StaffTable
          heads={[t('members.email'), t('members.role'), t('members.since'), null]}
          minWidth={560}
          testId="members-table"
        >
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
                  data={roles}
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
        </StaffTable>
      </Card>
    </Stack>
  );
}

/** The invitation form; it also says why a change in the table below was refused (`failed`). */
function InviteMember({
  roles,
  failed,
}: {
  roles: { value: StaffRole; label: string }[];
  failed: string | null;
}) {
  const { t } = useTranslation();
  const form = useForm<{ email: string; role: StaffRole }>({ initialValues: { email: '', role: 'agent' } });
  const invite = useApiMutation(
    (values: { email: string; role: StaffRole }) =>
      unwrap(api.POST('/api/v1/staff/members', { body: { email: values.email.trim(), role: values.role } })),
    {
      invalidates: [staffKeys.members],
      onSuccess: () => form.setFieldValue('email', ''),
      form,
    },
  );
  const error = failed ?? invite.errorMessage;
  return (
    <Card
      withBorder
      radius="md"
      padding="lg"
      component="form"
      onSubmit={form.onSubmit((v) => invite.mutate(v))}
    >
      <Title order={3} size="h4" mb="sm">
        {t('members.invite')}
      </Title>
      <Group align="flex-end" wrap="wrap">
        <TextInput
          label={t('members.email')}
          type="email"
          {...form.getInputProps('email')}
          style={{ flex: 1, minWidth: 220 }}
          data-testid="member-email"
        />
        <Select
          label={t('members.role')}
          allowDeselect={false}
          {...form.getInputProps('role')}
          data={roles}
          w={180}
        />
        <Button
          type="submit"
          loading={invite.isPending}
          disabled={!form.values.email.includes('@')}
          data-testid="member-invite"
        >
          {t('members.send')}
        </Button>
      </Group>
      {(error || invite.isSuccess) && (
        <Alert color={error ? 'red' : 'green'} mt="sm">
          {error ?? t('members.invited')}
        </Alert>
      )}
    </Card>
  );
}
