// The export archive's worker thread (see buildArchive): opens its own database connections (the
// primary's, and the replicas' it may read on), writes the ZIP and reports back. Nothing else of the
// application is loaded here.
import { parentPort, workerData } from 'node:worker_threads';
import type { DatabaseConfig } from '../../config.js';
import { openDatabase } from '../../db/database.js';
import { type ArchiveInput, type ArchiveSource, writeArchive } from './archive.js';

const { database, input, source } = workerData as {
  database: DatabaseConfig;
  input: ArchiveInput;
  source: ArchiveSource;
};
const opened = openDatabase(database);
try {
  await opened.readingAtLeast(source.position, (db) => writeArchive(db, input), source.waitMs);
  parentPort!.postMessage({ ok: true });
} catch (error) {
  parentPort!.postMessage({
    ok: false,
    error: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
} finally {
  await opened.close();
}
