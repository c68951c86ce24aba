export { startServer, type RunningServer } from './server.js';
export { ConfigError, configFromEnv, type ServerConfig } from './config.js';
export { buildApp } from './http/app.js';
export { createRuntime, type Runtime } from './services/create.js';
export { openStore, type Store } from './store/database.js';
export { createApiKey, DEFAULT_ORGANIZATION, listApiKeys, revokeApiKey, type ApiKeySummary } from './services/auth.js';
export { DEMO_TEST_COUNT } from './demo/seed.js';
