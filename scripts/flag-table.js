#!/usr/bin/env node
/**
 * Prints the README's flag table, generated from src/config/flags.ts (run `npx tsc -p tsconfig.json`
 * first: this reads dist/). With --write, replaces the table in README.md between its markers.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const compiled = path.join(root, 'dist', 'config', 'flag-table.js');
if (!fs.existsSync(compiled)) {
  process.stderr.write(`${compiled} is missing: build first (npx tsc -p tsconfig.json)\n`);
  process.exit(1);
}
const { flagTableMarkdown, withFlagTable } = require(compiled);

if (process.argv.includes('--write')) {
  const readme = path.join(root, 'README.md');
  fs.writeFileSync(readme, withFlagTable(fs.readFileSync(readme, 'utf8')));
  process.stdout.write(`flag table written to ${readme}\n`);
} else {
  process.stdout.write(flagTableMarkdown() + '\n');
}
