// npm run bench [-- name…]: runs every bench/*.bench.ts (or those named) and prints one table.
import fs from 'node:fs';
import os from 'node:os';
import { type BenchRow, ratio } from './harness.js';

const only = process.argv.slice(2);
const dir = new URL('./', import.meta.url);
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();

console.log(
  `esimdesk benchmarks on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}\n`,
);
const rows: BenchRow[] = [];
for (const file of files) {
  process.stdout.write(`running ${file}…\n`);
  const mod = (await import(new URL(file, dir).href)) as { run: () => Promise<BenchRow[]> };
  rows.push(...(await mod.run()));
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en') : n.toFixed(2));
const table = rows.map((r) => ({
  benchmark: r.name,
  value: `${fmt(r.value)} ${r.unit}`,
  baseline: r.baseline ? `${fmt(r.baseline.value)} ${r.unit} (${r.baseline.name})` : '',
  ratio: ratio(r),
  goal: r.goal ?? '',
}));
console.log('');
console.table(table);
