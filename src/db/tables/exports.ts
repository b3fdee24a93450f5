/** Data exports (owned by the exports module). */

export interface ExportsTable {
  id: string;
  account_id: string;
  status: 'pending' | 'ready' | 'failed';
  file: string | null;
  size: number | null;
  error: string | null;
  created_at: string;
  ready_at: string | null;
}
