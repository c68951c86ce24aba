import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import { isObservableExecutor } from '../execution/distributed/index.js';
import type { HistogramSnapshot } from '../execution/distributed/metrics.js';
import type { Services } from '../services/index.js';

const RUN_STATUSES = ['pending', 'queued', 'running', 'completed', 'error', 'cancelled'] as const;
const VERDICT_COLUMNS = { passed: 'n_passed', failed: 'n_failed', blocked: 'n_blocked', error: 'n_error' } as const;

type Check = { ok: true } | { ok: false; error: string };

async function check(probe: () => Promise<unknown>): Promise<Check> {
  try {
    await probe();
    return { ok: true };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Probes and metrics for operators, at the root and without an API key: GET /healthz (the process
 * answers), GET /readyz (the store and, when scaled out, Redis answer: 503 otherwise), GET /metrics
 * (Prometheus text format).
 */
export const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const { store, executor } = app.services;
    const checks: Record<string, Check> = { store: await check(() => sql`select 1`.execute(store.db)) };
    if (isObservableExecutor(executor)) checks.redis = await check(() => executor.checkReady());
    const ready = Object.values(checks).every((result) => result.ok);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(await renderMetrics(app.services)),
  );
};

export async function renderMetrics({ store, executor }: Services): Promise<string> {
  const lines: string[] = [];
  const byStatus = await store.db.selectFrom('test_runs').select(['status', (eb) => eb.fn.countAll<number>().as('runs')]).groupBy('status').execute();
  metric(lines, 'verdict_test_runs', 'gauge', 'Test runs by lifecycle status.', RUN_STATUSES.map((status) => [{ status }, Number(byStatus.find((row) => row.status === status)?.runs ?? 0)]));

  const totals = await store.db
    .selectFrom('test_runs')
    .select((eb) => Object.entries(VERDICT_COLUMNS).map(([verdict, column]) => eb.fn.coalesce(eb.fn.sum<number>(column), eb.lit(0)).as(verdict)))
    .executeTakeFirstOrThrow();
  const totalsByVerdict = totals as Record<string, number | string>;
  metric(lines, 'verdict_tests_executed_total', 'counter', 'Tests that reached a result, by verdict (error: the test could not be executed).', Object.keys(VERDICT_COLUMNS).map((verdict) => [{ verdict }, Number(totalsByVerdict[verdict] ?? 0)]));

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
