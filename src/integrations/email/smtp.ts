import { createRequire } from 'node:module';

// Loaded only where an SMTP relay is configured (demo mode and tests use the dev mailbox).
const require = createRequire(import.meta.url);

export interface OutgoingEmail {
  messageId: string;
  to: string;
  subject: string;
  text: string;
  html: string | null;
}

/** Email over a real SMTP relay (host, port, TLS and auth come from the smtp:// or smtps:// URL). */
export function createSmtpChannel(options: { url: string; from: string; domain: string }) {
  const nodemailer = require('nodemailer') as typeof import('nodemailer');
  const transport = nodemailer.createTransport(options.url, { from: options.from });
  return {
    async send(email: OutgoingEmail): Promise<void> {
      await transport.sendMail({
        to: email.to,
        subject: email.subject,
        text: email.text,
        html: email.html ?? undefined,
        // The same id on every retry lets the relay and the recipient drop a duplicate.
        messageId: `<${email.messageId}@${options.domain}>`,
      });
    },
    close: () => transport.close(),
  };
}
