// The export archive's worker thread (see buildArchive): opens its own database connection, writes
// the ZIP and reports back. Nothing else of the application is loaded here.
import { parentPort, workerData } from 'node:worker_threads';
import type { DatabaseConfig } from '../../config.js';
import { openDatabase } from '../../db/database.js';
import { type ArchiveInput, writeArchive } from './archive.js';

const { database, input } = workerData as { database: DatabaseConfig; input: ArchiveInput };
const opened = openDatabase(database);
try {
  await writeArchive(opened.db, input);
  parentPort!.postMessage({ ok: true });
} catch (error) {
  parentPort!.postMessage({
    ok: false,
    error: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
} finally {
  await opened.close();
}
