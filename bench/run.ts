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

/** Whether a row meets its goal ("ratio ≥ 0.5", "≤ 15 ms", "≥ 100,000", "≤ 10 s for 1,000,000"). */
function meets(row: BenchRow): boolean | null {
  const match = /^(ratio )?([≥≤]) ([\d,.]+)/.exec(row.goal ?? '');
  if (!match) return null;
  const target = Number(match[3]!.replace(/,/g, ''));
  const actual = match[1] ? Number(ratio(row)) : row.value;
  return match[2] === '≥' ? actual >= target : actual <= target;
}

// The whole set (no names given) is written to bench/RESULTS.md with the machine it ran on.
if (only.length === 0) {
  const cpu = os.cpus();
  const lines = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC. Every figure is`,
    'measured beside its baseline in the same run on the same machine; the ratio is what the goal is about.',
    '',
    `Machine: ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}.`,
    '',
    '| benchmark | value | baseline (same run) | ratio | goal | met |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const met = meets(r);
      return `| ${r.name} | ${fmt(r.value)} ${r.unit} | ${r.baseline ? `${fmt(r.baseline.value)} ${r.unit} (${r.baseline.name})` : ''} | ${ratio(r)} | ${r.goal ?? ''} | ${met === null ? '' : met ? 'yes' : '**no**'} |`;
    }),
    '',
    'Where a goal is missed, docs/performance.md says what was profiled, what was fixed and what remains.',
    '',
  ];
  fs.writeFileSync(new URL('./RESULTS.md', dir), lines.join('\n'));
  console.log('\nwritten to bench/RESULTS.md');
}
