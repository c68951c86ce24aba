import { createHash, timingSafeEqual } from 'node:crypto';
import { LIFECYCLE_STATUSES } from '@verdict/core';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { createError } from '../errors/index.js';
import { isObservableExecutor } from '../execution/distributed/index.js';
import type { HistogramSnapshot } from '../execution/distributed/metrics.js';
import { checkStore, runTotalsByStatus } from '../services/health.js';
import type { Services } from '../services/index.js';

const VERDICTS_EXECUTED = ['passed', 'failed', 'blocked', 'error'] as const;

type Check = { ok: true } | { ok: false; error: string };

async function check(probe: () => Promise<unknown>): Promise<Check> {
  try {
    await probe();
    return { ok: true };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

export interface MetricsOptions {
  /** `VERDICT_METRICS_TOKEN`: the bearer token scrapers send. Without one, the API port serves no metrics. */
  token: string | null;
  /** How old the metrics served may be (default `METRICS_MAX_AGE_MS`). */
  maxAgeMs?: number;
}

/** Scrapes within this long of the last one are answered from its snapshot, without asking the store. */
export const METRICS_MAX_AGE_MS = 5_000;

/**
 * The metrics text, computed from the store at most once per `maxAgeMs` however often it is
 * scraped (concurrent scrapes share one computation). Counting from the store, rather than keeping
 * counters in memory, keeps the totals right across restarts and identical in every process of a
 * scaled-out deployment; the cost is one grouped scan of the runs per interval, not per scrape.
 */
class MetricsSnapshot {
  private text: string | null = null;
  private takenAt = 0;
  private pending: Promise<string> | null = null;

  constructor(
    private readonly services: Services,
    private readonly maxAgeMs: number,
  ) {}

  current(): Promise<string> {
    if (this.text !== null && performance.now() - this.takenAt < this.maxAgeMs) return Promise.resolve(this.text);
    this.pending ??= renderMetrics(this.services)
      .then((text) => {
        this.text = text;
        this.takenAt = performance.now();
        return text;
      })
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
  }
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Metrics count every organization's runs: only the operator's scraper may read them. */
function requireMetricsToken(request: FastifyRequest, token: string | null): void {
  const header = request.headers.authorization ?? '';
  const given = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
  if (token !== null && given !== undefined && sameSecret(given, token)) return;
  const message =
    token === null
      ? 'Metrics are not served to anonymous callers on this port: set VERDICT_METRICS_TOKEN and send it as `Authorization: Bearer <token>`, or scrape VERDICT_METRICS_PORT.'
      : 'Send the metrics token (VERDICT_METRICS_TOKEN) as `Authorization: Bearer <token>`.';
  throw createError('unauthorized', message, 'Bearer realm="metrics"');
}

/** GET /metrics (Prometheus text format), from a snapshot of this listener's own; behind the token when `tokenRequired`. */
export function metricsRoute(options: MetricsOptions & { tokenRequired: boolean }): FastifyPluginAsync {
  return async (app) => {
    const snapshot = new MetricsSnapshot(app.services, options.maxAgeMs ?? METRICS_MAX_AGE_MS);
    app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
      if (options.tokenRequired) requireMetricsToken(request, options.token);
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(await snapshot.current());
    });
  };
}

/**
 * Probes for operators, at the root and without an API key: GET /healthz (the process answers),
 * GET /readyz (the store and, when scaled out, Redis answer: 503 otherwise). GET /metrics is here
 * too, but only for callers with the metrics token.
 */
export function healthRoutes(metrics: MetricsOptions): FastifyPluginAsync {
  return async (app) => {
    app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

    app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
      const { executor } = app.services;
      const checks: Record<string, Check> = { store: await check(() => checkStore(app.services)) };
      if (isObservableExecutor(executor)) checks.redis = await check(() => executor.checkReady());
      const ready = Object.values(checks).every((result) => result.ok);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
    });

    await app.register(metricsRoute({ ...metrics, tokenRequired: true }));
  };
}

export async function renderMetrics(services: Services): Promise<string> {
  const { executor } = services;
  const lines: string[] = [];
  const byStatus = await runTotalsByStatus(services);
  const runsIn = (status: string) => byStatus.find((row) => row.status === status)?.runs ?? 0;
  metric(lines, 'verdict_test_runs', 'gauge', 'Test runs by lifecycle status.', LIFECYCLE_STATUSES.map((status) => [{ status }, runsIn(status)]));
  const executed = (verdict: (typeof VERDICTS_EXECUTED)[number]) => byStatus.reduce((sum, row) => sum + row[verdict], 0);
  metric(lines, 'verdict_tests_executed_total', 'counter', 'Tests that reached a result, by verdict (error: the test could not be executed).', VERDICTS_EXECUTED.map((verdict) => [{ verdict }, executed(verdict)]));

  if (isObservableExecutor(executor)) {
    const depth = await executor.queueDepth();
    metric(lines, 'verdict_queue_depth', 'gauge', 'Jobs in the execution queues by state.', depth.map(({ queue, state, count }) => [{ queue, state }, count]));
    histogram(lines, 'verdict_test_execution_seconds', 'Time to execute one test (block and assertion), across all workers.', await executor.histogram('execution_seconds'));
    histogram(lines, 'verdict_cancel_latency_seconds', 'Time from a cancel to the abort of each running test of the run in its worker, across all workers.', await executor.histogram('cancel_latency_seconds'));
    histogram(lines, 'verdict_cancel_stop_seconds', 'Time from a cancel to each running test of the run having stopped and freed its slot, across all workers.', await executor.histogram('cancel_stop_seconds'));
  } else {
    const stats = executor.stats();
    metric(lines, 'verdict_queue_depth', 'gauge', 'Jobs in the execution queues by state.', [
      [{ queue: stats.kind, state: 'waiting' }, stats.queued],
      [{ queue: stats.kind, state: 'active' }, stats.inFlight],
    ]);
  }
  return `${lines.join('\n')}\n`;
}

type Sample = [labels: Record<string, string>, value: number];

function metric(lines: string[], name: string, type: 'gauge' | 'counter', help: string, samples: Sample[]): void {
  lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  for (const [labels, value] of samples) lines.push(`${name}${labelText(labels)} ${value}`);
}

export function histogram(lines: string[], name: string, help: string, snapshot: HistogramSnapshot): void {
  lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
  let cumulative = 0;
  snapshot.bounds.forEach((bound, index) => {
    cumulative += snapshot.counts[index] ?? 0;
    lines.push(`${name}_bucket{le="${bound}"} ${cumulative}`);
  });
  lines.push(`${name}_bucket{le="+Inf"} ${snapshot.count}`, `${name}_sum ${snapshot.sum}`, `${name}_count ${snapshot.count}`);
}

function labelText(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(([key, value]) => `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return pairs.length > 0 ? `{${pairs.join(',')}}` : '';
}
