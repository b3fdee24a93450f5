import { api, unwrap } from '../../../api/client.js';

/** The cancellation requests waiting for a reviewer, each with the facts to decide it. */
export function loadQueue() {
  return unwrap(api.GET('/api/v1/staff/cancellations'));
}

export type ReviewItem = Awaited<ReturnType<typeof loadQueue>>['items'][number];
