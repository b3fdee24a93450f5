import { Alert, Button, Stack, Text } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api, unwrap } from '../api/client.js';
import { keys } from '../api/keys.js';
import { PENDING, type Pending, type Resumable } from './Checkout.js';

/** The purchase waiting for top-up `topupId`, if this tab started one (in the last day). */
function pendingFor(topupId: string): Pending | null {
  try {
    const p = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null') as Pending | null;
    return p && p.topupId === topupId && Date.now() - p.at < 86_400_000 ? p : null;
  } catch {
    return null;
  }
}

/** Buys `what` with `key`; answers the line it lands on. */
async function buy(what: Resumable, key: string): Promise<{ lineId: string }> {
  const params = { header: { 'idempotency-key': key } };
  if (what.kind === 'plan') {
    const line = await unwrap(api.POST('/api/v1/me/lines', { body: { planId: what.planId }, params }));
    return { lineId: line.id };
  }
  await unwrap(
    api.POST('/api/v1/me/lines/{id}/addons', {
      params: { ...params, path: { id: what.lineId } },
      body: { addonId: what.addonId },
    }),
  );
  return { lineId: what.lineId };
}

/**
 * Back from the provider's page with top-up `topupId`: when this tab left a purchase waiting for it,
 * waits for the top-up to succeed, buys with the purchase's own idempotency key and lands on the line.
 * A declined top-up buys nothing; either failure offers the way back to where the subscriber was.
 */
export function ResumePurchase({ topupId }: { topupId: string }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [pending] = useState(() => pendingFor(topupId));
  const [error, setError] = useState<string | null>(null);
  const started = useRef(false);
  const payment = useQuery({
    queryKey: keys.wallet.topup(topupId),
    queryFn: () => unwrap(api.GET('/api/v1/me/topups/{id}', { params: { path: { id: topupId } } })),
    enabled: pending !== null,
    refetchInterval: (query) => (query.state.data?.status === 'pending' ? 2000 : false),
  });
  const status = payment.data?.status;
  useEffect(() => {
    if (!pending || started.current || (status !== 'succeeded' && status !== 'failed')) return;
    started.current = true;
    sessionStorage.removeItem(PENDING);
    if (status === 'failed') return setError(t('checkout.topupFailed'));
    buy(pending.what, pending.buyKey).then(
      ({ lineId }) => {
        void queryClient.invalidateQueries();
        navigate(`/lines/${lineId}`, { replace: true });
      },
      (e: unknown) => {
        void queryClient.invalidateQueries();
        setError(t('checkout.resumeFailed', { error: e instanceof Error ? e.message : t('app.loadError') }));
      },
    );
  }, [pending, status, navigate, queryClient, t]);
  if (!pending) return null;
  const forget = () => {
    sessionStorage.removeItem(PENDING);
    navigate(pending.from);
  };
  return (
    <Alert
      color={error ? 'red' : 'blue'}
      role={error ? 'alert' : 'status'}
      title={t('checkout.resumeTitle', { name: pending.title })}
      data-testid="checkout-resume"
      data-state={error ? 'failed' : status === 'succeeded' ? 'buying' : 'waiting'}
    >
      <Stack gap="xs" align="flex-start">
        <Text size="sm">
          {error ??
            (status === 'succeeded'
              ? t('checkout.stepBuy')
              : payment.isError
                ? t('app.loadError')
                : t('checkout.resumeWaiting'))}
        </Text>
        {error ? (
          <Button
            component={Link}
            to={pending.from}
            size="xs"
            variant="default"
            data-testid="checkout-resume-back"
          >
            {t('checkout.resumeBack')}
          </Button>
        ) : (
          status === 'pending' && (
            <Button size="xs" variant="default" onClick={forget} data-testid="checkout-resume-forget">
              {t('checkout.resumeForget')}
            </Button>
          )
        )}
      </Stack>
    </Alert>
  );
}
