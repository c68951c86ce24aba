import { isTerminal, type WorkflowTestRun } from '@verdict/core';
import { compareRuns } from '../services/history.js';
import type { Services } from '../services/index.js';
import { html, type SafeHtml } from './html.js';
import { filterQuery } from './result-filter.js';
import { comparisonPanel } from './views/comparison.js';

/** New failures and fixes listed under "N new failures, M fixed since …"; the filter shows the rest. */
const CHANGES_LISTED = 50;

/**
 * "N new failures, M fixed since <base>" of a finished run with a base (resolved by the caller,
 * who also filters by it); nothing for a live run or one without a base.
 */
export async function comparisonOfFinishedRun(services: Services, organizationId: string, run: WorkflowTestRun, baseRunId: string | null): Promise<SafeHtml> {
  if (!isTerminal(run.lifecycle.status) || baseRunId === null) return html``;
  const [comparison, base] = await Promise.all([
    compareRuns(services, organizationId, run.id, { base: baseRunId, limit: CHANGES_LISTED }),
    services.runs.find(organizationId, baseRunId),
  ]);
  const newFailuresUrl = `/runs/${encodeURIComponent(run.id)}${filterQuery({ show: 'new_failures', search: '' })}`;
  return comparisonPanel({ comparison, baseCreatedAt: base?.timing.created_at ?? null, newFailuresUrl });
}
