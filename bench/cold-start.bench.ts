import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './harness.js';

const root = fileURLToPath(new URL('..', import.meta.url));

async function timeToFirst200(command: string[], url: string, env: Record<string, string>): Promise<number> {
  const started = performance.now();
  const child: ChildProcess = spawn(command[0]!, command.slice(1), {
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  try {
    for (;;) {
      const ok = await fetch(url).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return performance.now() - started;
      if (performance.now() - started > 30_000) throw new Error(`${url} never answered`);
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

/** Built server from process start to the first 200 on /healthz (fresh SQLite: includes migrations), beside a bare Fastify process. */
export async function run(): Promise<BenchRow[]> {
  const built = path.join(root, 'dist/server/main.js');
  if (!fs.existsSync(built)) throw new Error('build first: npm run build');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esimdesk-cold-'));
  const bare = path.join(dir, 'bare.mjs');
  fs.writeFileSync(
    bare,
    `import Fastify from '${path.join(root, 'node_modules/fastify/fastify.js')}';
const app = Fastify(); app.get('/', async () => ({ ok: true })); await app.listen({ port: 8931, host: '127.0.0.1' });`,
  );
  const samples = { app: [] as number[], bare: [] as number[] };
  try {
    for (let i = 0; i < 3; i++) {
      samples.bare.push(await timeToFirst200(['node', bare], 'http://127.0.0.1:8931/', {}));
      samples.app.push(
        await timeToFirst200(
          ['node', path.join(root, 'bin/esimdesk.js'), 'start'],
          'http://127.0.0.1:8932/healthz',
          {
            PORT: '8932',
            HOST: '127.0.0.1',
            LOG_LEVEL: 'silent',
            DATABASE_URL: path.join(dir, `cold-${i}.db`),
          },
        ),
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return [
    {
      name: 'cold start to first 200 (new SQLite database)',
      value: median(samples.app),
      unit: 'ms',
      baseline: { name: 'bare Fastify process', value: median(samples.bare) },
      goal: '≤ 1500 ms',
    },
  ];
}
