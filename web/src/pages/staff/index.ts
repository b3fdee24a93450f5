/** The staff console in one chunk: loaded only when staff open it, never part of a subscriber's download. */

export { ReviewQueue } from '../ReviewQueue.js';
export { AuditPage } from './admin/Audit.js';
export { JobsPage } from './admin/Jobs.js';
export { MembersPage } from './admin/Members.js';
export { PoliciesPage } from './admin/Policies.js';
export { Dashboard, StaffConsole } from './Console.js';
export { Customer360 } from './customers/Customer360.js';
export { CustomerSearch } from './customers/Search.js';
export { HeldUsagePage } from './HeldUsage.js';
export { TicketDetail, TicketQueue } from './Tickets.js';
