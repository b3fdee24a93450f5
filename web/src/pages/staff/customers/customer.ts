import { api, unwrap } from '../../../api/client.js';

/** Everything staff see about one customer, in one request. */
export function loadCustomer(id: string) {
  return unwrap(api.GET('/api/v1/staff/accounts/{id}', { params: { path: { id } } }));
}

export type CustomerFile = Awaited<ReturnType<typeof loadCustomer>>;
