import type { ErasureContributor } from '../../core/erasure.js';

/** The account's export archives: the rows forget their files, which are deleted after the commit. */
export const exportsErasure: ErasureContributor = {
  owner: 'exports',
  tables: ['exports'],
  label: 'exports',
  async erase(tx, { accountId }) {
    const files = await tx
      .selectFrom('exports')
      .select('file')
      .where('account_id', '=', accountId)
      .where('file', 'is not', null)
      .execute();
    await tx
      .updateTable('exports')
      .set({ status: 'failed', file: null, error: 'erased after the retention period' })
      .where('account_id', '=', accountId)
      .execute();
    return files.map((e) => e.file as string);
  },
};
