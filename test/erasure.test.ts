import { describe, expect, it } from 'vitest';
import { PERSONAL_COLUMNS, TABLE_OWNERS, type Table } from '../src/db/ownership.js';
import { ERASURE_CONTRIBUTORS } from '../src/modules/cancellation/retention.js';

describe('personal-data erasure is contributed by each owner', () => {
  it('covers every table with personal columns, each by the module that owns it', () => {
    const covered = new Map<Table, string>();
    for (const contributor of ERASURE_CONTRIBUTORS) {
      for (const table of contributor.tables) {
        expect(TABLE_OWNERS[table], `${contributor.owner} erases ${table}`).toBe(contributor.owner);
        expect(covered.has(table), `${table} erased twice`).toBe(false);
        covered.set(table, contributor.owner);
      }
    }
    const personal = Object.keys(PERSONAL_COLUMNS) as Table[];
    expect(personal.filter((table) => !covered.has(table))).toEqual([]);
    // A contributor erasing a table not declared personal means the declaration is missing.
    expect([...covered.keys()].filter((table) => !(table in PERSONAL_COLUMNS))).toEqual([]);
  });
});
