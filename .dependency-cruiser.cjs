/**
 * Which module may import which (docs/architecture.md, "Module map"). `npm run lint` runs this
 * with ESLint; CI runs `npm run lint` before the tests.
 */
const SERVER = '^packages/server/src/';

/** Node built-ins that do I/O or need a process of their own: the server's, never core's. */
const SERVER_ONLY_BUILTINS = [
  'child_process',
  'cluster',
  'dgram',
  'dns',
  'fs',
  'fs/promises',
  'http',
  'http2',
  'https',
  'inspector',
  'net',
  'os',
  'readline',
  'repl',
  'tls',
  'v8',
  'vm',
  'worker_threads',
].map((name) => `^(node:)?${name.replace('/', '\\/')}$`);

/** npm packages that only a server runs: a database, a queue, an HTTP framework. */
const SERVER_ONLY_PACKAGES = ['fastify', '@fastify/', 'kysely', 'pg', 'better-sqlite3', 'ioredis', 'bullmq', 'openai', 'quickjs-emscripten', 'unpdf'].map(
  (name) => `(^|/)node_modules/${name.replace('/', '\\/')}`,
);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'core is the pure domain: it imports no other workspace package and nothing that does I/O.',
      severity: 'error',
      from: { path: '^packages/core/src/' },
      to: { path: ['^packages/(sdk|server|cli)/', ...SERVER_ONLY_PACKAGES] },
    },
    {
      name: 'core-uses-no-server-builtins',
      comment: 'core runs wherever the SDK does: no file system, network, threads or processes.',
      severity: 'error',
      from: { path: '^packages/core/src/' },
      to: { dependencyTypes: ['core'], path: SERVER_ONLY_BUILTINS },
    },
    {
      name: 'sdk-imports-only-core',
      comment: 'The SDK is the published client: of the workspace it may only use core.',
      severity: 'error',
      from: { path: '^packages/sdk/src/' },
      to: { path: ['^packages/(server|cli)/', ...SERVER_ONLY_PACKAGES] },
    },
    {
      name: 'cli-uses-the-server-entry-only',
      comment: 'The CLI uses the server through its public entry (@verdict/server), never a module inside it.',
      severity: 'error',
      from: { path: '^packages/cli/src/' },
      to: { path: '^packages/server/', pathNot: '^packages/server/(src|dist)/index\\.(ts|js|d\\.ts)$' },
    },
    {
      name: 'store-knows-no-http',
      comment: 'The store is the database: it knows nothing of HTTP, routes, services, the dashboard or execution.',
      severity: 'error',
      from: { path: `${SERVER}store/` },
      to: { path: `${SERVER}(http|routes|services|dashboard|execution)/` },
    },
    {
      name: 'routes-go-through-services',
      comment: 'Routes and dashboard pages validate, call a service and answer: they never reach into the store.',
      severity: 'error',
      from: { path: `${SERVER}(routes|dashboard)/` },
      to: { path: `${SERVER}store/` },
    },
    {
      name: 'files-know-no-callers',
      comment: 'files/ is given what it needs (records, limits): it imports neither execution/ nor services/.',
      severity: 'error',
      from: { path: `${SERVER}files/` },
      to: { path: `${SERVER}(execution|services)/` },
    },
    {
      name: 'services-know-no-dashboard',
      comment: 'Services serve the API and the dashboard alike; the dashboard is one of their callers.',
      severity: 'error',
      from: { path: `${SERVER}services/` },
      to: { path: `${SERVER}dashboard/` },
    },
    {
      name: 'no-folder-cycles',
      comment: 'The server\'s folders form layers: a folder that imports another is never imported back by it, however indirectly.',
      severity: 'error',
      scope: 'folder',
      from: { path: `${SERVER}(store|http|routes|services|dashboard|execution|files)(/|$)` },
      to: { circular: true },
    },
    {
      name: 'no-circular',
      comment: 'A cycle of imports between modules: one of them belongs elsewhere.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Tests and their helpers set up and inspect state any way they must: the rules are for the
    // code they test.
    exclude: { path: ['(^|/)dist/', '\\.test\\.ts$', '(^|/)test-support\\.ts$', '^packages/server/src/testing/', '^packages/sdk/src/test-server\\.ts$'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.depcruise.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.d.ts', '.js'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
