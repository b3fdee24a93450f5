import type { Static } from 'typebox';
import type { Config } from '../../config.js';
import type { Clock } from '../../core/clock.js';
import { isLocale, type Locale } from '../../core/i18n.js';
import { newId } from '../../core/ids.js';
import type { Db, Executor } from '../../db/database.js';
import type { Channel, MessageRow } from '../../db/schema.js';
import { createSmtpChannel } from '../../integrations/email/smtp.js';
import { createHttpSmsChannel } from '../../integrations/sms/http-gateway.js';
import type { JobContext, Jobs } from '../../runner/jobs.js';
import { type FanOut, registerNotificationJobs } from './notifications.jobs.js';
import {
  devMailboxOf,
  findMessage,
  insertDevMailboxOnce,
  insertMessages,
  markMessageAttemptFailed,
  markMessageSent,
} from './notifications.store.js';
import { render, TEMPLATES, type TemplateName, type TemplateParams } from './templates.js';

export interface Recipient {
  id: string | null;
  email: string | null;
  phone: string | null;
  locale: string;
}

const REDACTED = '[removed after delivery]';

export function createNotificationService(deps: {
  db: Db;
  clock: Clock;
  jobs: Pick<Jobs, 'register' | 'enqueue' | 'enqueueMany' | 'completeIn'>;
  /** The brand and address every message names. */
  brandName: string;
  publicUrl: string;
  /** The email and SMS gateways, when configured. */
  smtp: Config['smtp'];
  sms: Config['sms'];
  /** Demo mode: without a gateway, messages go to the dev mailbox instead of failing. */
  devMailbox: boolean;
}) {
  const { db, clock, devMailbox } = deps;
  const smtp = deps.smtp
    ? createSmtpChannel({ ...deps.smtp, domain: new URL(deps.publicUrl).hostname })
    : null;
  const sms = deps.sms ? createHttpSmsChannel(deps.sms) : null;

  const { deliverJob, fanoutJob } = registerNotificationJobs(deps.jobs, { deliver, fanOut });

  /** Renders a message and puts it in the outbox of the caller's transaction; the runner delivers it. */
  interface Outgoing {
    accountId: string | null;
    channel: Channel;
    to: string;
    locale: Locale;
    template: TemplateName;
    params?: TemplateParams;
  }

  /** Renders messages and puts them in the outbox of the caller's transaction (two statements for any number). */
  async function write(tx: Executor, messages: Outgoing[]): Promise<string[]> {
    if (messages.length === 0) return [];
    const now = clock.now();
    const rows = messages.map((message) => {
      const rendered = render(message.template, message.channel, message.locale, {
        ...message.params,
        brand: deps.brandName,
        publicUrl: deps.publicUrl,
      });
      return {
        id: newId('msg', now.getTime()),
        account_id: message.accountId,
        channel: message.channel,
        to: message.to,
        locale: message.locale,
        template: message.template,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        sensitive: TEMPLATES[message.template].sensitive ? 1 : 0,
        status: 'queued' as const,
        created_at: now.toISOString(),
      };
    });
    await insertMessages(tx, rows);
    await deps.jobs.enqueueMany(
      tx,
      deliverJob,
      rows.map((r) => ({ payload: { messageId: r.id }, options: { idempotencyKey: `deliver:${r.id}` } })),
    );
    return rows.map((r) => r.id);
  }

  /** A new copy of an earlier message, same address and text, delivered again by the runner. */
  async function resend(tx: Executor, message: MessageRow): Promise<string[]> {
    const now = clock.now();
    const copy = {
      id: newId('msg', now.getTime()),
      account_id: message.account_id,
      channel: message.channel,
      to: message.to,
      locale: message.locale,
      template: message.template,
      subject: message.subject,
      text: message.text,
      html: message.html,
      sensitive: message.sensitive,
      status: 'queued' as const,
      created_at: now.toISOString(),
    };
    await insertMessages(tx, copy);
    await deps.jobs.enqueue(tx, deliverJob, { messageId: copy.id }, { idempotencyKey: `deliver:${copy.id}` });
    return [copy.id];
  }

  /** One message to one address (sign-in codes go to an address that may have no account yet). */
  async function send(tx: Executor, message: Outgoing): Promise<string> {
    const [id] = await write(tx, [message]);
    return id!;
  }

  interface Notice {
    recipient: Recipient;
    template: TemplateName;
    params?: TemplateParams;
    channels?: Channel[];
  }

  /**
   * Tells accounts something on every channel each has (email and SMS), each in its language. The
   * caller's transaction (often one that moves money, holding its locks) only queues one job with
   * what to say and to whom, as of now; the runner renders the messages and puts them in the outbox
   * in one transaction that also marks that job done, so each notice becomes its messages once.
   */
  async function notifyAll(tx: Executor, notices: Notice[]): Promise<void> {
    const payload = notices.map(({ recipient, template, params = {}, channels = ['email', 'sms'] }) => ({
      recipient: {
        id: recipient.id,
        email: recipient.email,
        phone: recipient.phone,
        locale: recipient.locale,
      },
      template,
      params,
      channels,
    }));
    if (payload.length > 0) await deps.jobs.enqueue(tx, fanoutJob, { notices: payload });
  }

  function notify(
    tx: Executor,
    recipient: Recipient,
    template: TemplateName,
    params: TemplateParams = {},
    channels: Channel[] = ['email', 'sms'],
  ): Promise<void> {
    return notifyAll(tx, [{ recipient, template, params, channels }]);
  }

  /** The messages of queued notices, rendered and put in the outbox (see notifyAll). */
  async function fanOut(notices: Static<typeof FanOut>['notices'], { job }: JobContext): Promise<void> {
    const messages: Outgoing[] = [];
    for (const { recipient, template, params, channels } of notices) {
      if (!(template in TEMPLATES)) throw new Error(`unknown template ${template}`);
      const locale = isLocale(recipient.locale) ? recipient.locale : 'en';
      for (const channel of channels) {
        const to = channel === 'email' ? recipient.email : recipient.phone;
        if (to)
          messages.push({
            accountId: recipient.id,
            channel,
            to,
            locale,
            template: template as TemplateName,
            params,
          });
      }
    }
    await db.transaction().execute(async (tx) => {
      // The addresses now live in the messages (which retention erases); the job keeps none.
      if (await deps.jobs.completeIn(tx, job, { scrubPayload: { notices: [] } })) await write(tx, messages);
    });
  }

  async function deliver(messageId: string, { job }: JobContext): Promise<void> {
    const message = await findMessage(db, messageId);
    if (!message || message.status === 'sent' || message.status === 'dead') return;
    try {
      const external = message.channel === 'email' ? smtp : sms;
      if (external) {
        await sendExternally(message);
        await markSent(db, message);
      } else if (devMailbox) {
        await db.transaction().execute(async (tx) => {
          await insertDevMailboxOnce(tx, {
            id: newId('dmx', clock.now().getTime()),
            message_id: message.id,
            channel: message.channel,
            to: message.to,
            locale: message.locale,
            subject: message.subject,
            text: message.text,
            html: message.html,
            created_at: clock.now().toISOString(),
          });
          await markSent(tx, message);
        });
      } else {
        throw new Error(`no ${message.channel} channel is configured`);
      }
    } catch (error) {
      const final = job.attempts >= job.max_attempts;
      await markMessageAttemptFailed(db, message.id, {
        final,
        error: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
  }

  async function sendExternally(message: MessageRow): Promise<void> {
    if (message.channel === 'email') {
      await smtp!.send({
        messageId: message.id,
        to: message.to,
        subject: message.subject ?? '',
        text: message.text,
        html: message.html,
      });
    } else {
      await sms!.send({ messageId: message.id, to: message.to, text: message.text });
    }
  }

  async function markSent(executor: Executor, message: MessageRow): Promise<void> {
    await markMessageSent(executor, message, clock.now().toISOString(), REDACTED);
  }

  /** The dev mailbox (demo mode): what would have been emailed or texted to `to`, newest first. */
  async function devMessages(to: string, limit = 50) {
    const rows = await devMailboxOf(db, to, limit);
    return rows.map((r) => ({
      id: r.message_id,
      channel: r.channel,
      to: r.to,
      subject: r.subject,
      text: r.text,
      html: r.html,
      locale: r.locale,
      createdAt: r.created_at,
    }));
  }

  return { send, notify, notifyAll, resend, devMessages, deliverJob, close: () => smtp?.close() };
}

export type NotificationService = ReturnType<typeof createNotificationService>;
