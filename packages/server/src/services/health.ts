import { pingStore } from '../store/database.js';
import { countRunsByStatus } from '../store/runs.js';
import type { Services } from './index.js';

/** Resolves when the store answers; rejects with why not. */
export async function checkStore(services: Services): Promise<void> {
  await pingStore(services.store.db);
}

/** Runs per lifecycle status across organizations, with the verdicts their rows reached. */
export async function runTotalsByStatus(services: Services) {
  return countRunsByStatus(services.store.db);
}
