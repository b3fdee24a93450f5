import { Alert, Button, Divider, Drawer, Group, Modal, Stack, Text } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, isApiError, unwrap } from '../api/client.js';
import { keys } from '../api/keys.js';
import { useBalance } from '../api/subscriber.js';
import { formatMoney, type Money } from '../format.js';

/** Phones get a bottom sheet, wider screens a centred dialog; both trap focus and close on Escape. */
/** The × keeps the header's own padding from the edge (Mantine pulls it outward) and never shrinks. */
const CLOSE_STYLE = { marginInlineEnd: 0, marginInlineStart: 'var(--mantine-spacing-xs)', flexShrink: 0 };

export function Sheet({
  opened,
  onClose,
  title,
  children,
  testId,
}: {
  opened: boolean;
  onClose: () => void;
  title: ReactNode;
  children: ReactNode;
  testId?: string;
}) {
  const { t } = useTranslation();
  const phone = useMediaQuery('(max-width: 48em)', false, { getInitialValueInEffect: false });
  // The × in the corner has no text of its own: it is named for screen readers (axe: button-name).
  const common = {
    opened,
    onClose,
    title,
    'data-testid': testId,
    closeButtonProps: { 'aria-label': t('checkout.cancel') },
  } as const;
  return phone ? (
    <Drawer
      {...common}
      position="bottom"
      size="auto"
      radius="lg"
      styles={{ content: { maxHeight: '92dvh' }, title: { fontWeight: 700 }, close: CLOSE_STYLE }}
    >
      {children}
    </Drawer>
  ) : (
    <Modal
      {...common}
      centered
      radius="lg"
      size="md"
      styles={{ title: { fontWeight: 700 }, close: CLOSE_STYLE }}
    >
      {children}
    </Modal>
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A priced purchase written down as data, so it can finish after the payment provider's page. */
export type Resumable = { kind: 'plan'; planId: string } | { kind: 'addon'; lineId: string; addonId: string };

/** What "Top up and buy" leaves behind when the top-up goes through the provider's hosted page. */
export interface Pending {
  topupId: string;
  /** The purchase's idempotency key: finishing twice (a reload, a second tab) still buys once. */
  buyKey: string;
  what: Resumable;
  title: string;
  /** Where the subscriber pressed the button (the plan, the line), for a way back when it fails. */
  from: string;
  at: number;
}

export const PENDING = 'esimdesk.checkout.pending';

const STEP_LABEL = {
  topup: 'checkout.stepTopup',
  redirect: 'checkout.stepRedirect',
  buy: 'checkout.stepBuy',
} as const;

/**
 * Tops up `amount`. The built-in provider settles at once or soon (waited for, up to a minute; throws
 * when it fails); a real provider (Stripe, Alipay) answers its hosted page's address instead, returned
 * here for the caller to go to.
 */
async function topUp(
  amount: Money,
  key: string,
  failed: string,
): Promise<{ id: string; redirectUrl?: string }> {
  let payment = await unwrap(
    api.POST('/api/v1/me/topups', { body: { amount }, params: { header: { 'idempotency-key': key } } }),
  );
  if (payment.status === 'pending' && payment.redirectUrl) return payment;
  for (let i = 0; payment.status === 'pending' && i < 60; i++) {
    await sleep(1000);
    payment = await unwrap(api.GET('/api/v1/me/topups/{id}', { params: { path: { id: payment.id } } }));
  }
  if (payment.status !== 'succeeded') throw new Error(failed);
  return { id: payment.id };
}

export interface CheckoutProps {
  opened: boolean;
  onClose: () => void;
  title: string;
  /** What the subscriber gets, one row per fact. */
  facts: { label: string; value: ReactNode }[];
  /** Null for something that costs nothing (another device, a move to a new phone). */
  price: Money | null;
  confirmLabel?: string;
  /** Does the write with this idempotency key (the same key for every retry of one sheet). */
  purchase: (idempotencyKey: string) => Promise<unknown>;
  /**
   * The same purchase as data, for a top-up on the provider's own page: it is kept in this tab and
   * finished on the way back (ResumePurchase), then the subscriber lands on the line.
   */
  resumable?: Resumable;
  onDone?: (result: unknown) => void;
}

/**
 * The one confirmation sheet for every purchase: what you get, the price, the balance before and after.
 * Not enough balance offers "Top up ¥X and buy": the top-up and then the purchase, each with its own
 * idempotency key kept for the life of the sheet, so pressing again after a failure never pays twice.
 * When the provider pays on its own page, the purchase waits in sessionStorage until the subscriber
 * comes back from it (to /wallet?topup=<id>, where ResumePurchase finishes it).
 */
export function Checkout(props: CheckoutProps) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const balance = useBalance(props.opened && props.price !== null);
  const [intent, setIntent] = useState(() => ({ topup: crypto.randomUUID(), buy: crypto.randomUUID() }));
  const [step, setStep] = useState<'idle' | 'topup' | 'redirect' | 'buy'>('idle');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (props.opened) {
      setIntent({ topup: crypto.randomUUID(), buy: crypto.randomUUID() });
      setError(null);
      setStep('idle');
    }
  }, [props.opened]);

  const fmt = (m: Money) => formatMoney(m, i18n.language);
  const price = props.price;
  const before = balance.data;
  const after = price && before ? { amount: before.amount - price.amount, currency: price.currency } : null;
  const missing = after && after.amount < 0 ? { amount: -after.amount, currency: after.currency } : null;
  const busy = step !== 'idle';

  async function go() {
    setError(null);
    let leaving = false;
    try {
      if (missing) {
        setStep('topup');
        const payment = await topUp(missing, intent.topup, t('checkout.topupFailed'));
        if (payment.redirectUrl) {
          if (props.resumable) {
            const pending: Pending = {
              topupId: payment.id,
              buyKey: intent.buy,
              what: props.resumable,
              title: props.title,
              from: `${window.location.pathname}${window.location.search}`,
              at: Date.now(),
            };
            sessionStorage.setItem(PENDING, JSON.stringify(pending));
          }
          leaving = true;
          setStep('redirect');
          window.location.assign(payment.redirectUrl);
          return;
        }
        void queryClient.invalidateQueries({ queryKey: keys.balance });
      }
      setStep('buy');
      const result = await props.purchase(intent.buy);
      void queryClient.invalidateQueries();
      props.onDone?.(result);
    } catch (e) {
      setError(isApiError(e) || e instanceof Error ? e.message : t('app.loadError'));
      void balance.refetch();
    } finally {
      if (!leaving) setStep('idle');
    }
  }

  return (
    <Sheet
      opened={props.opened}
      onClose={busy ? () => {} : props.onClose}
      title={props.title}
      testId="checkout"
    >
      <Stack gap="sm">
        <Text size="sm" fw={600} c="dimmed">
          {t('checkout.youGet')}
        </Text>
        <Stack gap={6} data-testid="checkout-facts">
          {props.facts.map((f) => (
            <Group key={f.label} justify="space-between" align="flex-start" wrap="nowrap" gap="md">
              <Text size="sm" c="dimmed" style={{ flexShrink: 0 }}>
                {f.label}
              </Text>
              <Text size="sm" ta="right" style={{ minWidth: 0, overflowWrap: 'anywhere' }}>
                {f.value}
              </Text>
            </Group>
          ))}
        </Stack>
        <Divider />
        <Group justify="space-between">
          <Text fw={700}>{t('checkout.price')}</Text>
          <Text fw={700} size="lg" data-testid="checkout-price">
            {price ? fmt(price) : t('checkout.free')}
          </Text>
        </Group>
        {price && before && after && (
          <>
            <Group justify="space-between">
              <Text size="sm" c="dimmed">
                {t('checkout.balanceBefore')}
              </Text>
              <Text size="sm" data-testid="checkout-before">
                {fmt(before)}
              </Text>
            </Group>
            <Group justify="space-between">
              <Text size="sm" c="dimmed">
                {t('checkout.balanceAfter')}
              </Text>
              <Text size="sm" data-testid="checkout-after">
                {fmt(missing ? { amount: 0, currency: after.currency } : after)}
              </Text>
            </Group>
          </>
        )}
        {missing && (
          <Alert color="yellow" data-testid="checkout-missing">
            {t('checkout.missing', { amount: fmt(missing) })}
          </Alert>
        )}
        {error && (
          <Alert color="red" role="alert" data-testid="checkout-error">
            {error}
          </Alert>
        )}
        <Group justify="flex-end" gap="sm" mt="xs">
          <Button variant="default" onClick={props.onClose} disabled={busy} data-testid="checkout-cancel">
            {t('checkout.cancel')}
          </Button>
          <Button
            onClick={() => void go()}
            loading={busy}
            disabled={price !== null && !before}
            data-testid="checkout-confirm"
          >
            {missing
              ? t('checkout.topupAndBuy', { amount: fmt(missing) })
              : (props.confirmLabel ?? t('checkout.buy'))}
          </Button>
        </Group>
        {busy && (
          <Text size="xs" c="dimmed" ta="right" role="status">
            {t(STEP_LABEL[step])}
          </Text>
        )}
      </Stack>
    </Sheet>
  );
}
