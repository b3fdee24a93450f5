import { Alert, Anchor, Container } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'react-router';
import { useCancellation, useSubscriber } from '../api/subscriber.js';

/** On every page while the closure request waits for the subscriber's information: what and where. */
export function ActionNeeded() {
  const { t } = useTranslation();
  const { pathname } = useLocation();
  const me = useSubscriber();
  const request = useCancellation(!!me && me.status === 'cancellation_pending');
  if (me?.status !== 'cancellation_pending' || request.data?.status !== 'info_requested') return null;
  return (
    <Container size="lg" px="md" pb={6}>
      <Alert color="orange" variant="light" py={6} role="status" data-testid="action-needed">
        {t('closeLoop.actionNeeded')}{' '}
        {pathname !== '/account/close' && (
          <Anchor component={Link} to="/account/close" fw={700} data-testid="action-needed-go">
            {t('closeLoop.actionNeededGo')}
          </Anchor>
        )}
      </Alert>
    </Container>
  );
}
