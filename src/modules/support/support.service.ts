import type { Clock } from '../../core/clock.js';
import type { Db, Dialect } from '../../db/database.js';
import type { AuditService } from '../audit/audit.service.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import { createStaffTickets } from './support.staff.js';
import { createSubscriberTickets } from './support.subscriber.js';
import { createTickets } from './support.tickets.js';

export {
  CATEGORIES,
  QUEUE_VIEWS,
  type QueueView,
  RELATED_TYPES,
  type RelatedType,
} from './support.tickets.js';

/**
 * Support tickets (R11 "contact customer service"): subscribers open, reply and close
 * (support.subscriber.ts); agents work a queue, assign, answer (or leave internal notes the
 * subscriber never sees) and set the status (support.staff.ts). Each side is told of the other's
 * replies in its own language. The SQL is in support.store.ts.
 */
export function createSupportService(deps: {
  db: Db;
  dialect: Dialect;
  clock: Clock;
  audit: Pick<AuditService, 'record'>;
  notifications: Pick<NotificationService, 'notify'>;
  policies: Pick<PolicyService, 'get'>;
}) {
  const tickets = createTickets(deps);
  const subscriber = createSubscriberTickets({ ...deps, tickets });
  const staff = createStaffTickets({ ...deps, tickets });

  return {
    open: subscriber.open,
    listMine: subscriber.listMine,
    getMine: subscriber.getMine,
    replyAsSubscriber: subscriber.replyAsSubscriber,
    closeMine: subscriber.closeMine,
    queue: staff.queue,
    getForStaff: staff.getForStaff,
    replyAsStaff: staff.replyAsStaff,
    update: staff.update,
    ofAccount: tickets.ofAccount,
    ofAccountForStaff: tickets.ofAccountForStaff,
  };
}

export type SupportService = ReturnType<typeof createSupportService>;
