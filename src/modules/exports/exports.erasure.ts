import type { ErasureContributor } from '../../core/erasure.js';
import { exportFilesOfAccount, forgetExportFilesOfAccount } from './exports.store.js';

/** The account's export archives: the rows forget their files, which are deleted after the commit. */
export const exportsErasure: ErasureContributor = {
  owner: 'exports',
  tables: ['exports'],
  label: 'exports',
  async erase(tx, { accountId }) {
    const files = await exportFilesOfAccount(tx, accountId);
    await forgetExportFilesOfAccount(tx, accountId, 'erased after the retention period');
    return files.map((e) => e.file as string);
  },
};
