import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './process.js';

/** Debian's haproxy package puts it here. */
export const HAPROXY_BIN = '/usr/sbin/haproxy';

export function haproxyInstalled(): boolean {
  return fs.existsSync(HAPROXY_BIN);
}

export interface Haproxy {
  /** Where clients send requests: http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** The configuration file it runs (for assertion messages). */
  configFile: string;
  /** Each server's state as HAProxy's statistics report it: UP, DOWN, MAINT, "UP 1/2", … */
  states(): Promise<Record<string, string>>;
  /** Waits until HAProxy reports `server` in `state` (UP or DOWN), checking every 100 ms. */
  waitFor(server: string, state: 'UP' | 'DOWN', giveUpMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The configuration docs/operations.md shows: HTTP mode, round robin over the API processes,
 * `/readyz` health checks, redispatch and retries of requests that never reached a server (or
 * reached one that closed the connection without answering), and the statistics page.
 */
export function haproxyConfig(options: {
  port: number;
  statsPort: number;
  servers: Array<{ name: string; port: number }>;
  /** Health-check interval; fall 1, rise 2. */
  interMs?: number;
}): string {
  const inter = options.interMs ?? 250;
  return `global
    maxconn 2000

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout check 2s
    retries 3
    option redispatch
    retry-on conn-failure empty-response response-timeout

frontend esimdesk
    bind 127.0.0.1:${options.port}
    option forwardfor
    default_backend esimdesk_api

backend esimdesk_api
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter ${inter}ms fall 1 rise 2
${options.servers.map((s) => `    server ${s.name} 127.0.0.1:${s.port} check`).join('\n')}

listen stats
    bind 127.0.0.1:${options.statsPort}
    stats enable
    stats uri /
`;
}

/** Starts HAProxy in the foreground with a configuration written to a temp directory. */
export async function startHaproxy(options: {
  servers: Array<{ name: string; port: number }>;
  interMs?: number;
}): Promise<Haproxy> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esimdesk-haproxy-'));
  const port = await freePort();
  const statsPort = await freePort();
  const configFile = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(configFile, haproxyConfig({ port, statsPort, ...options }));
  const child: ChildProcess = spawn(HAPROXY_BIN, ['-f', configFile, '-db'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const states = async (): Promise<Record<string, string>> => {
    const csv = await (await fetch(`http://127.0.0.1:${statsPort}/;csv`)).text();
    const [header, ...rows] = csv.split('\n');
    const columns = header!.replace(/^# /, '').split(',');
    const [px, sv, status] = ['pxname', 'svname', 'status'].map((c) => columns.indexOf(c));
    const out: Record<string, string> = {};
    for (const row of rows) {
      const cells = row.split(',');
      if (cells[px!] === 'esimdesk_api' && cells[sv!] !== 'BACKEND') out[cells[sv!]!] = cells[status!]!;
    }
    return out;
  };

  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`haproxy exited: ${stderr}`);
    try {
      await states();
      break;
    } catch {
      if (i >= 100) throw new Error(`haproxy did not start: ${stderr}`);
      await sleep(100);
    }
  }

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    configFile,
    states,
    waitFor: async (server, state, giveUpMs = 60_000) => {
      const started = Date.now();
      let last: string | undefined;
      for (;;) {
        last = (await states())[server];
        // "UP" exactly: "UP 1/2" is a server still rising, "DOWN 1/2" one still falling.
        if (last === state) return;
        if (Date.now() - started > giveUpMs)
          throw new Error(`haproxy: ${server} is ${last}, waited for ${state}\n${stderr}`);
        await sleep(100);
      }
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
