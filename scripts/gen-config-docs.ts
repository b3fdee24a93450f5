// Writes README.md's configuration table from the environment schema (src/config/env.schema.ts).
// usage: npm run gen:config-docs        (a test fails when the committed table is out of date)
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configTable, withConfigTable } from '../src/config/docs.js';

const target = fileURLToPath(new URL('../README.md', import.meta.url));
fs.writeFileSync(target, withConfigTable(fs.readFileSync(target, 'utf8'), configTable()));
console.log(`wrote the configuration table of ${target}`);
