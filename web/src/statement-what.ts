import type { TFunction } from 'i18next';

/** A statement line in words: whom a transfer went to or came from, what a purchase bought; else its kind. */
export function statementWhat(
  line: { kind: string; counterparty?: string | null; item?: string | null },
  t: TFunction,
): string {
  if (line.counterparty && line.kind === 'transfer_out')
    return t('wallet.line.transferTo', { who: line.counterparty });
  if (line.counterparty && line.kind === 'transfer_in')
    return t('wallet.line.transferFrom', { who: line.counterparty });
  if (line.item && line.kind === 'purchase') return line.item;
  if (line.item && line.kind === 'refund') return t('wallet.line.refundOf', { item: line.item });
  return t(`wallet.kind.${line.kind}`);
}
