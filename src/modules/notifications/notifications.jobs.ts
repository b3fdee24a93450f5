import { type Static, Type } from 'typebox';
import { defineJob, type JobContext, type Jobs } from '../../runner/jobs.js';

/** What notifyAll queues: each notice with its recipient's addresses and language as they were. */
export const FanOut = Type.Object({
  notices: Type.Array(
    Type.Object({
      recipient: Type.Object({
        id: Type.Union([Type.String(), Type.Null()]),
        email: Type.Union([Type.String(), Type.Null()]),
        phone: Type.Union([Type.String(), Type.Null()]),
        locale: Type.String(),
      }),
      template: Type.String(),
      params: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()])),
      channels: Type.Array(Type.Union([Type.Literal('email'), Type.Literal('sms')])),
    }),
  ),
});

/** Who carries out the notifications module's jobs (notifications.service.ts). */
export interface NotificationJobHandlers {
  /** Sends one message through its channel (SMTP, the SMS gateway or the dev mailbox). */
  deliver(messageId: string, context: JobContext): Promise<void>;
  /** Renders queued notices into messages, each then delivered by its own job. */
  fanOut(notices: Static<typeof FanOut>['notices'], context: JobContext): Promise<void>;
}

/** The notifications module's background work, registered with the runner; returns the jobs it enqueues. */
export function registerNotificationJobs(jobs: Pick<Jobs, 'register'>, handlers: NotificationJobHandlers) {
  const deliverJob = defineJob({
    kind: 'notifications.deliver',
    payload: Type.Object({ messageId: Type.String() }),
    maxAttempts: 12,
    handle: ({ messageId }, context) => handlers.deliver(messageId, context),
  });
  const fanoutJob = defineJob({
    kind: 'notifications.fanout',
    payload: FanOut,
    maxAttempts: 12,
    handle: ({ notices }, context) => handlers.fanOut(notices, context),
  });
  jobs.register(deliverJob, fanoutJob);
  return { deliverJob, fanoutJob };
}
