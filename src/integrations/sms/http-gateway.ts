export interface OutgoingSms {
  messageId: string;
  to: string;
  text: string;
}

/**
 * SMS through an HTTP gateway: one JSON POST per message `{ id, to, text }` with the key as a bearer
 * token. Any 2xx is accepted; anything else (or no answer in 10 s) is a failure the runner retries.
 * The message id travels as an idempotency key so a gateway can drop a retried duplicate.
 */
export function createHttpSmsChannel(options: { url: string; key: string | null }) {
  return {
    async send(sms: OutgoingSms): Promise<void> {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': sms.messageId,
          ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
        },
        body: JSON.stringify({ id: sms.messageId, to: sms.to, text: sms.text }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) throw new Error(`SMS gateway answered ${response.status}`);
    },
  };
}
