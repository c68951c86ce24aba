/**
 * The script of a worker thread whose module `name` sits beside `moduleUrl` (the caller's
 * import.meta.url). Built, that is `name.js`. Run from source (tests under tsx), the thread loads
 * `name.ts` through tsx's loader registered inside it: `--import tsx` does not reach a worker's
 * entry module on Node 20.
 */
export function threadEntry(moduleUrl: string, name: string): { script: URL | string; evaluate: boolean } {
  if (!moduleUrl.endsWith('.ts')) return { script: new URL(`./${name}.js`, moduleUrl), evaluate: false };
  const source = JSON.stringify(new URL(`./${name}.ts`, moduleUrl).href);
  return { script: `import('tsx/esm/api').then(({ register }) => { register(); return import(${source}); })`, evaluate: true };
}
