import { type Locale, translate } from '../../core/i18n.js';
import type { Channel } from '../../db/schema.js';

/**
 * Everything the product tells people, by name; texts live in src/locales under notifications.<name>.
 * `link` is the page of the web app the message is about ({{param}} filled from the message's
 * params): emails and SMS end with it, so one tap opens the right place.
 */
export const TEMPLATES = {
  sign_in_code: { sensitive: true },
  contact_code: { sensitive: true },
  topup_succeeded: { sensitive: false, link: '/wallet' },
  transfer_sent: { sensitive: false, link: '/wallet' },
  transfer_received: { sensitive: false, link: '/wallet' },
  refund_succeeded: { sensitive: false, link: '/wallet' },
  refund_failed: { sensitive: false, link: '/wallet' },
  esim_ready: { sensitive: false, link: '/lines/{{lineId}}' },
  order_failed: { sensitive: false, link: '/lines' },
  export_ready: { sensitive: false, link: '/backup' },
  cancellation_submitted: { sensitive: false, link: '/account/close' },
  cancellation_info_requested: { sensitive: false, link: '/account/close' },
  cancellation_rejected: { sensitive: false, link: '/account/close' },
  cancellation_completed: { sensitive: false, link: '/' },
  cancellation_approved: { sensitive: false, link: '/account/close' },
  cancellation_overdue: { sensitive: false, link: '/staff/cancellations' },
  ticket_reply: { sensitive: false, link: '/help/{{ticketId}}' },
  ticket_customer_reply: { sensitive: false, link: '/staff/tickets' },
  staff_invited: { sensitive: false },
  adjustment_posted: { sensitive: false, link: '/wallet' },
  write_off_posted: { sensitive: false, link: '/wallet' },
  arrears_waived: { sensitive: false, link: '/wallet' },
  balance_forfeited: { sensitive: false, link: '/wallet' },
  sign_in_failures: { sensitive: false, link: '/sign-in' },
  staff_sign_in_alert: { sensitive: false, link: '/staff/audit' },
} as const satisfies Record<string, { sensitive: boolean; link?: string }>;

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

/** The absolute address of a template's page, or null (codes carry none, nor a link missing its param). */
export function linkOf(
  template: TemplateName,
  params: TemplateParams & { publicUrl?: string },
): string | null {
  const link = (TEMPLATES[template] as { link?: string }).link;
  if (!link || !params.publicUrl) return null;
  let missing = false;
  const path = link.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = params[key];
    if (value === undefined) missing = true;
    return encodeURIComponent(String(value ?? ''));
  });
  return missing ? null : `${params.publicUrl}${path}`;
}

export function render(
  template: TemplateName,
  channel: Channel,
  locale: Locale,
  params: TemplateParams & { brand: string; publicUrl?: string },
): Rendered {
  const key = `notifications.${template}`;
  const link = linkOf(template, params);
  if (channel === 'sms') {
    const text = translate(locale, `${key}.sms`, params);
    return { subject: null, text: link ? `${text} ${link}` : text, html: null };
  }
  const subject = translate(locale, `${key}.subject`, params);
  const body = translate(locale, `${key}.text`, params);
  const footer = translate(locale, 'notifications.footer', params);
  const open = translate(locale, 'notifications.open', params);
  const html = [
    `<!doctype html><html lang="${locale}"><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1a1b1e">`,
    `<h2 style="margin:0 0 16px">${escapeHtml(params.brand)}</h2>`,
    ...body.split('\n').map((p) => `<p>${escapeHtml(p)}</p>`),
    ...(link
      ? [`<p><a href="${escapeHtml(link)}" style="color:#1864ab;font-weight:600">${escapeHtml(open)}</a></p>`]
      : []),
    `<p style="color:#868e96;font-size:12px">${escapeHtml(footer)}</p>`,
    '</body></html>',
  ].join('');
  const text = link ? `${body}\n\n${open}: ${link}` : body;
  return { subject, text: `${text}\n\n-- \n${footer}`, html };
}
