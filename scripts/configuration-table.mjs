#!/usr/bin/env node
// Writes the README's configuration table from the variables the server reads
// (packages/server/src/config/variables.ts). Run after the build; config/config.test.ts fails
// while the README's table differs from it.
import { readFileSync, writeFileSync } from 'node:fs';
import { withConfigurationTable } from '../packages/server/dist/config/table.js';

writeFileSync('README.md', withConfigurationTable(readFileSync('README.md', 'utf8')));
console.log('README.md: configuration table written.');
