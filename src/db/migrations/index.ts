import type { Migration } from 'kysely';
import * as m0001 from './0001-jobs.js';
import * as m0002 from './0002-identity.js';
import * as m0003 from './0003-wallet.js';
import * as m0004 from './0004-catalog.js';
import * as m0005 from './0005-lines.js';
import * as m0006 from './0006-networks-addons.js';
import * as m0007 from './0007-usage.js';
import * as m0008 from './0008-exports.js';
import * as m0009 from './0009-cancellation.js';
import * as m0010 from './0010-support.js';
import * as m0011 from './0011-jobs-kind-index.js';
import * as m0012 from './0012-leaner-money-writes.js';
import * as m0013 from './0013-es2-calls.js';
import * as m0015 from './0015-sign-in-guards.js';
import * as m0016 from './0016-usage-holds.js';
import * as m0017 from './0017-ops-heartbeat.js';
import * as m0018 from './0018-exactly-once-payments.js';
import * as m0021 from './0021-money-that-cannot-leave.js';
import * as m0022 from './0022-usage-partitions.js';

/** Every migration, in order. Add new ones at the end; never edit one that has shipped. */
export const MIGRATIONS: Record<string, Migration> = {
  '0001-jobs': m0001,
  '0002-identity': m0002,
  '0003-wallet': m0003,
  '0004-catalog': m0004,
  '0005-lines': m0005,
  '0006-networks-addons': m0006,
  '0007-usage': m0007,
  '0008-exports': m0008,
  '0009-cancellation': m0009,
  '0010-support': m0010,
  '0011-jobs-kind-index': m0011,
  '0012-leaner-money-writes': m0012,
  '0013-es2-calls': m0013,
  '0015-sign-in-guards': m0015,
  '0016-usage-holds': m0016,
  '0017-ops-heartbeat': m0017,
  '0018-exactly-once-payments': m0018,
  '0021-money-that-cannot-leave': m0021,
  '0022-usage-partitions': m0022,
};
