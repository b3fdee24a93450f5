#!/usr/bin/env node
// The esimdesk command. Runs the built server (npm install builds it); falls back to the sources via tsx in a checkout without a build.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = fileURLToPath(new URL('../dist/server/main.js', import.meta.url));
let entry;
if (existsSync(built)) {
  entry = await import(built);
} else {
  await import('tsx/esm');
  entry = await import('../src/main.ts');
}
await entry.main(process.argv);
