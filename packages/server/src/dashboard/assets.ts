import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { sha256Hex } from '@verdict/core';

export interface Asset {
  body: Buffer;
  contentType: string;
  /** Content hash put in asset URLs, so browsers may cache an asset for good. */
  version: string;
}

/** The asset sources stay in src/ (tsc copies no CSS or JS): this path is the same from src/ and dist/. */
const OWN_ASSETS_DIR = fileURLToPath(new URL('../../src/dashboard/assets/', import.meta.url));

const SOURCES = {
  'dashboard.css': { path: OWN_ASSETS_DIR + 'dashboard.css', contentType: 'text/css; charset=utf-8' },
  'run-live.js': { path: OWN_ASSETS_DIR + 'run-live.js', contentType: 'text/javascript; charset=utf-8' },
  'favicon.svg': { path: OWN_ASSETS_DIR + 'favicon.svg', contentType: 'image/svg+xml' },
  'htmx.min.js': { path: createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js'), contentType: 'text/javascript; charset=utf-8' },
} satisfies Record<string, { path: string; contentType: string }>;

export type AssetName = keyof typeof SOURCES;

function loadAssets(): Map<string, Asset> {
  return new Map(
    Object.entries(SOURCES).map(([name, source]) => {
      const body = readFileSync(source.path);
      return [name, { body, contentType: source.contentType, version: sha256Hex(body.toString('latin1')).slice(0, 12) }];
    }),
  );
}

const ASSETS = loadAssets();

export function findAsset(name: string): Asset | undefined {
  return ASSETS.get(name);
}

export function assetUrl(name: AssetName): string {
  return `/assets/${name}?v=${ASSETS.get(name)!.version}`;
}
