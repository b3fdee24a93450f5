import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = new URL('../../', import.meta.url).pathname;
/** The CLI from the sources, runnable from any directory. */
const CLI = [
  '--import',
  new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href,
  new URL('./cli-entry.ts', import.meta.url).pathname,
];

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** SIGKILL: no shutdown hooks, no flushing; what a power cut or OOM kill does to the process. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `esimdesk start` as a real child process (the CLI through tsx), answering /healthz (within
 * `readyWithinMs`: a machine busy with other processes starts it slowly).
 */
export async function startServerProcess(
  env: Record<string, string>,
  port: number,
  args?: string[],
  cwd: string = ROOT,
  readyWithinMs = 60_000,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...CLI, ...(args ?? ['start', '--migrate'])], {
    cwd,
    // No drain on SIGTERM unless a test asks for one (no balancer is watching /readyz here).
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      SHUTDOWN_DRAIN_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const attempts = Math.ceil(readyWithinMs / 100);
  for (let i = 0; i < attempts; i++) {
    if (child.exitCode !== null) throw new Error(`server exited: ${stderr}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    await sleep(100);
    if (i === attempts - 1) throw new Error(`server did not start: ${stderr}`);
  }
  return {
    url,
    child,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Runs an esimdesk CLI command to completion; returns its exit code and output. */
export function runCli(
  args: string[],
  env: Record<string, string>,
  cwd: string = ROOT,
): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [...CLI, ...args], {
    cwd,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/**
 * A long-running esimdesk command (e.g. `runner`) as a child process; stop() sends SIGTERM and waits,
 * kill() sends SIGKILL (a crash) and waits.
 */
export function startCliProcess(
  args: string[],
  env: Record<string, string>,
  cwd: string = ROOT,
): { stop(): Promise<void>; kill(): Promise<void>; running(): boolean; child: ChildProcess } {
  const child = spawn(process.execPath, [...CLI, ...args], {
    cwd,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    running: () => child.exitCode === null && child.signalCode === null,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** One JSON request to a server process: an optional bearer token, body and Idempotency-Key. */
export async function callServer(
  base: string,
  method: string,
  url: string,
  token: string | null,
  body?: unknown,
  key?: string,
) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/**
 * Signs in to a server process with the code its runner delivers to the dev mailbox (which may take
 * a moment: the runner is another process); returns the session token.
 */
export async function signInToServer(
  call: (method: string, url: string, token: string | null, body?: unknown) => ReturnType<typeof callServer>,
  email: string,
): Promise<string> {
  const sent = await call('POST', '/api/v1/auth/codes', null, { channel: 'email', to: email });
  // A loaded machine (CI runs several process-level files at once) can take its time to deliver.
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    const inbox = await call('GET', `/api/v1/dev/messages?to=${encodeURIComponent(email)}`, null);
    const code = inbox.body.items.map((m: { text: string }) => /\b(\d{6})\b/.exec(m.text)?.[1]).find(Boolean);
    if (code)
      return (await call('POST', '/api/v1/auth/sessions', null, { challengeId: sent.body.challengeId, code }))
        .body.token;
    await sleep(50);
  }
  throw new Error(`no code for ${email}`);
}
