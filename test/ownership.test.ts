import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TABLE_OWNERS } from '../src/db/ownership.js';

const SRC = path.resolve(import.meta.dirname, '../src');

/** The owner a source file belongs to: its module folder, integration folder or shared layer. */
function ownerOf(file: string): string {
  const parts = path.relative(SRC, file).split(path.sep);
  if (parts[0] === 'modules' || parts[0] === 'integrations')
    return parts[0] === 'modules' ? parts[1]! : `integrations/${parts[1]}`;
  return parts[0]!.replace(/\.ts$/, '');
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'migrations' ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

/** Every table a file writes: Kysely's insertInto / updateTable / deleteFrom / mergeInto, bulkInsert, and raw SQL. */
function writesIn(text: string): string[] {
  const patterns = [
    /\b(?:insertInto|updateTable|deleteFrom|mergeInto|replaceInto|bulkInsert)\(\s*['"]([a-z_0-9]+)['"]/g,
    /\b(?:insert\s+into|update|delete\s+from)\s+"?([a-z_][a-z_0-9]*)"?\s+(?:\(|set\b|where\b|as\b|values\b|select\b|using\b|$)/gim,
  ];
  const tables = new Set<string>();
  for (const pattern of patterns) for (const match of text.matchAll(pattern)) tables.add(match[1]!);
  return [...tables].filter((table) => table in TABLE_OWNERS);
}

describe('one owner per table', () => {
  const files = sourceFiles(SRC);
  const found = new Map<string, Set<string>>();
  for (const file of files) {
    const owner = ownerOf(file);
    for (const table of writesIn(fs.readFileSync(file, 'utf8'))) {
      if (TABLE_OWNERS[table as keyof typeof TABLE_OWNERS] === owner) continue;
      const key = `${owner}`;
      if (!found.has(key)) found.set(key, new Set());
      found.get(key)!.add(table);
    }
  }

  it('finds the writes it looks for (the scanner is not blind)', () => {
    const all = files.flatMap((file) => writesIn(fs.readFileSync(file, 'utf8')));
    for (const table of ['ledger_postings', 'usage_records', 'audit_log', 'accounts', 'jobs'])
      expect(all).toContain(table);
  });

  it('lets no module write a table another owns', () => {
    const cross = [...found].flatMap(([owner, tables]) =>
      [...tables].sort().map((t) => `${owner} writes ${t}`),
    );
    expect(cross).toEqual([]);
  });
});
