import { Button } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';

/** Shown on a page opened from a closure checklist's fix link (`?from=close`): the way back to it. */
export function BackToChecklist() {
  const [params] = useSearchParams();
  return params.get('from') === 'close' ? <BackToChecklistButton /> : null;
}

/** The way back to the closure checklist, on every page a step of closing the account leads to. */
export function BackToChecklistButton() {
  const { t } = useTranslation();
  return (
    <Button
      component={Link}
      to="/account/close"
      variant="light"
      size="compact-md"
      w="fit-content"
      data-testid="back-to-checklist"
    >
      ← {t('closeLoop.backToChecklist')}
    </Button>
  );
}

interface Blocker {
  code: string;
  fixAt: string;
  details?: Record<string, unknown>;
}

/** Where a blocker's fix link goes: the right tab for a balance, the devices for bound devices; always with the way back. */
export function fixLink(b: Blocker): string {
  const params = new URLSearchParams({ from: 'close' });
  if (b.code === 'BALANCE_NOT_ZERO') {
    const ways = Array.isArray(b.details?.ways) ? (b.details.ways as string[]) : [];
    const tab = ways.find((w) => w === 'refund' || w === 'transfer' || w === 'topup');
    if (tab) params.set('tab', tab);
  }
  if (b.code === 'REQUEST_OPEN') return '/account/close';
  return `${b.fixAt}?${params}`;
}
