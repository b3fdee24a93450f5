import { Alert, Button, Card, Group, Text } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApiMutation } from '../api/mutation.js';

/**
 * Lost or stolen (R5): a suspend button behind a confirmation while active, a resume button while
 * suspended. Used for the whole account and for one line; `texts` is the locale prefix of its wording.
 */
export function SuspendCard(props: {
  texts: 'account.lost' | 'lines.lost';
  testId: string;
  status: string;
  suspend: () => Promise<unknown>;
  resume: () => Promise<unknown>;
  onDone: (result: unknown) => void;
}) {
  const { t } = useTranslation();
  const [confirming, setConfirming] = useState(false);
  const act = useApiMutation(
    (action: 'suspend' | 'resume') => (action === 'suspend' ? props.suspend() : props.resume()),
    {
      onSuccess: (result) => {
        setConfirming(false);
        props.onDone(result);
      },
    },
  );
  if (props.status !== 'active' && props.status !== 'suspended') return null;
  const id = props.testId;
  return (
    <Card withBorder radius="md" padding="lg" data-testid={`${id}-card`}>
      <Text fw={600}>{t(`${props.texts}.title`)}</Text>
      <Text size="sm" c="dimmed" mb="sm">
        {props.status === 'active' ? t(`${props.texts}.explain`) : t(`${props.texts}.suspended`)}
      </Text>
      {props.status === 'active' && !confirming && (
        <Button color="red" variant="light" onClick={() => setConfirming(true)} data-testid={`${id}-suspend`}>
          {t(`${props.texts}.suspend`)}
        </Button>
      )}
      {confirming && (
        <Group>
          <Button
            color="red"
            onClick={() => act.mutate('suspend')}
            loading={act.isPending}
            data-testid={`${id}-suspend-confirm`}
          >
            {t(`${props.texts}.confirm`)}
          </Button>
          <Button variant="default" onClick={() => setConfirming(false)}>
            {t(`${props.texts}.cancel`)}
          </Button>
        </Group>
      )}
      {props.status === 'suspended' && (
        <Button onClick={() => act.mutate('resume')} loading={act.isPending} data-testid={`${id}-resume`}>
          {t(`${props.texts}.resume`)}
        </Button>
      )}
      {act.errorMessage && (
        <Alert color="red" mt="sm" role="alert">
          {act.errorMessage}
        </Alert>
      )}
    </Card>
  );
}
