import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import semver from 'semver';

const repositoryRoot = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

interface InstalledPackage {
  id: string;
  nodeRange: string;
}

function readManifest(path: string): { name?: string; version?: string; engines?: { node?: string } } {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Every installed package (nested ones too) that states which Node versions it runs on. */
function installedPackagesWithEngines(modulesDir: string, found: InstalledPackage[] = []): InstalledPackage[] {
  for (const entry of readdirSync(modulesDir)) {
    if (entry.startsWith('.')) continue;
    const path = join(modulesDir, entry);
    if (entry.startsWith('@')) {
      installedPackagesWithEngines(path, found);
      continue;
    }
    const manifestPath = join(path, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = readManifest(manifestPath);
    if (manifest.engines?.node) found.push({ id: `${manifest.name}@${manifest.version}`, nodeRange: manifest.engines.node });
    if (existsSync(join(path, 'node_modules'))) installedPackagesWithEngines(join(path, 'node_modules'), found);
  }
  return found;
}

test('every installed dependency runs on every Node version the project says it supports (npm install prints no EBADENGINE)', () => {
  const stated = readManifest(join(repositoryRoot, 'package.json')).engines?.node;
  assert.ok(stated, 'the root package.json states engines.node');
  const packages = installedPackagesWithEngines(join(repositoryRoot, 'node_modules'));
  assert.ok(packages.length > 50, `found only ${packages.length} packages under node_modules`);
  const narrower = packages.filter((pkg) => !semver.subset(stated, pkg.nodeRange)).map((pkg) => `${pkg.id} needs node ${pkg.nodeRange}`);
  assert.deepEqual(narrower, [], `the project states node ${stated}, but:`);
  assert.ok(semver.satisfies(process.version, stated), `this Node (${process.version}) is outside the stated range ${stated}`);
});
