/** The staff console in one chunk: loaded only when staff open it, never part of a subscriber's download. */

export { ReviewQueue } from '../ReviewQueue.js';
export { AuditPage, JobsPage, MembersPage, PoliciesPage } from './Admin.js';
export { Dashboard, StaffConsole } from './Console.js';
export { Customer360, CustomerSearch } from './Customers.js';
export { HeldUsagePage } from './HeldUsage.js';
export { TicketDetail, TicketQueue } from './Tickets.js';
