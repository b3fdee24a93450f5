import { Alert, Anchor, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { type Me, useMe } from '../api/session.js';

/**
 * While a request to close the account is open (the account is `cancellation_pending`), the server
 * refuses top-ups, transfers, refunds and purchases: pages hide those and show this instead.
 */
export const isClosing = (me: Pick<Me, 'status'> | null | undefined) => me?.status === 'cancellation_pending';

/** The signed-in account has an open closure request. */
export function useClosing(): boolean {
  return isClosing(useMe().data);
}

/** "Your request to close the account is under review", why money actions are paused, and the way to withdraw. */
export function ClosingNotice() {
  const { t } = useTranslation();
  return (
    <Alert color="orange" variant="light" title={t('closing.title')} data-testid="closing-notice">
      <Text size="sm">{t('closing.body')}</Text>
      <Anchor
        component={Link}
        to="/account/close"
        size="sm"
        fw={600}
        underline="always"
        data-testid="closing-notice-link"
      >
        {t('closing.link')}
      </Anchor>
    </Alert>
  );
}
