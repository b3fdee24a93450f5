import { type Locale, translate } from '../../core/i18n.js';
import type { Channel } from '../../db/schema.js';

/** Everything the product tells people, by name; texts live in src/locales under notifications.<name>. */
export const TEMPLATES = {
  sign_in_code: { sensitive: true },
  contact_code: { sensitive: true },
  topup_succeeded: { sensitive: false },
  transfer_sent: { sensitive: false },
  transfer_received: { sensitive: false },
  refund_succeeded: { sensitive: false },
  refund_failed: { sensitive: false },
  esim_ready: { sensitive: false },
  order_failed: { sensitive: false },
  export_ready: { sensitive: false },
  cancellation_submitted: { sensitive: false },
  cancellation_info_requested: { sensitive: false },
  cancellation_rejected: { sensitive: false },
  cancellation_completed: { sensitive: false },
  cancellation_approved: { sensitive: false },
  cancellation_overdue: { sensitive: false },
  ticket_reply: { sensitive: false },
  ticket_customer_reply: { sensitive: false },
  staff_invited: { sensitive: false },
  adjustment_posted: { sensitive: false },
  write_off_posted: { sensitive: false },
  arrears_waived: { sensitive: false },
  balance_forfeited: { sensitive: false },
  sign_in_failures: { sensitive: false },
  staff_sign_in_alert: { sensitive: false },
} as const satisfies Record<string, { sensitive: boolean }>;

export type TemplateName = keyof typeof TEMPLATES;
export type TemplateParams = Record<string, string | number>;

export interface Rendered {
  subject: string | null;
  text: string;
  html: string | null;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

export function render(
  template: TemplateName,
  channel: Channel,
  locale: Locale,
  params: TemplateParams & { brand: string },
): Rendered {
  const key = `notifications.${template}`;
  if (channel === 'sms') return { subject: null, text: translate(locale, `${key}.sms`, params), html: null };
  const subject = translate(locale, `${key}.subject`, params);
  const body = translate(locale, `${key}.text`, params);
  const footer = translate(locale, 'notifications.footer', params);
  const html = [
    `<!doctype html><html lang="${locale}"><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1a1b1e">`,
    `<h2 style="margin:0 0 16px">${escapeHtml(params.brand)}</h2>`,
    ...body.split('\n').map((p) => `<p>${escapeHtml(p)}</p>`),
    `<p style="color:#868e96;font-size:12px">${escapeHtml(footer)}</p>`,
    '</body></html>',
  ].join('');
  return { subject, text: `${body}\n\n-- \n${footer}`, html };
}
