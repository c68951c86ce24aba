import type { FastifyInstance } from 'fastify';
import { runNotFound } from '../../services/test-runs.js';
import { findRunRow } from '../../store/runs.js';
import { sessionOf } from '../context.js';
import { pipeRunEvents, RunEventFeed } from '../run-stream.js';

const TICK_MS = 250;
const HEARTBEAT_EVERY_TICKS = 60;

/**
 * `GET /runs/:run_id/events`: server-sent events for the run page. The server checks the store
 * every 250 ms and sends only what changed; the stream ends after the final state of a terminal
 * run, and its timer stops as soon as the client goes away or the server closes.
 */
export async function runEvents(app: FastifyInstance): Promise<void> {
  const db = app.services.store.db;
  const openStreams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const stop of openStreams) stop();
  });

  app.get<{ Params: { run_id: string } }>('/runs/:run_id/events', async (request, reply) => {
    const { organizationId } = sessionOf(request);
    const row = await findRunRow(db, organizationId, request.params.run_id);
    if (!row) throw runNotFound(request.params.run_id);
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.write('retry: 3000\n\n');
    const stream = pipeRunEvents(new RunEventFeed(db, organizationId, row.id), response, {
      tickMs: TICK_MS,
      heartbeatEveryTicks: HEARTBEAT_EVERY_TICKS,
      onError: (error) => request.log.error({ err: error, runId: row.id }, 'run event stream failed'),
    });
    openStreams.add(stream.stop);
    await stream.stopped;
    openStreams.delete(stream.stop);
  });
}
