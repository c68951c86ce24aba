import type { WorkflowTestRun } from '@verdict/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createError } from '../../errors/index.js';
import type { Limits } from '../../services/rate-limit.js';
import { defaultBaseRunId } from '../../services/history.js';
import { formField, sessionOf } from '../context.js';
import { parseResultFilter, storeFilter } from '../result-filter.js';
import { pipeRunEvents, RunEventFeed } from '../run-stream.js';
import { rerunForms } from '../views/runs.js';
import { WorkflowRunEventFeed } from '../workflow-run-stream.js';
import { comparisonOfFinishedRun } from '../run-comparison.js';
import type { Session } from '../../services/sessions.js';

const TICK_MS = 250;
const HEARTBEAT_EVERY_TICKS = 60;
/** A refused stream is worth retrying once another page of the session has closed. */
const STREAM_RETRY_AFTER_S = 5;

type EventsRequest = FastifyRequest<{ Params: { run_id: string } }>;

/**
 * Each stream polls the store four times a second, so a session, and an organization (whatever
 * number of sessions it opens), may hold only so many at once. Answers the release function.
 */
function reserveStream(limits: Limits, session: Session): () => void {
  const { streamsPerSession, streamsPerOrganization } = limits.config;
  const release = limits.streams.tryAcquire([
    { key: `session:${session.id}`, limit: streamsPerSession },
    { key: `organization:${session.organizationId}`, limit: streamsPerOrganization },
  ]);
  if (release) return release;
  throw createError(
    'rate_limited',
    `Too many live run pages open: at most ${streamsPerSession} per session and ${streamsPerOrganization} per organization. Close another run page.`,
    STREAM_RETRY_AFTER_S,
  );
}

/**
 * `GET /runs/:run_id/events` and `GET /workflow-runs/:run_id/events`: server-sent events for the run pages. The server checks the store
 * every 250 ms and sends only what changed; the stream ends after the final state of a terminal
 * run, and its timer stops as soon as the client goes away or the server closes.
 */
export async function runEvents(app: FastifyInstance): Promise<void> {
  const { services } = app;
  const { limits, runs, workflowRuns } = services;
  const openStreams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const stop of openStreams) stop();
  });

  /** Answers with the feed's events until its run is done, the client goes away or the server closes. */
  async function streamFeed(request: EventsRequest, reply: FastifyReply, feed: Pick<RunEventFeed, 'poll'>, runId: string): Promise<void> {
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.write('retry: 3000\n\n');
    const stream = pipeRunEvents(feed, response, {
      tickMs: TICK_MS,
      heartbeatEveryTicks: HEARTBEAT_EVERY_TICKS,
      onError: (error) => request.log.error({ err: error, runId }, 'run event stream failed'),
    });
    openStreams.add(stream.stop);
    await stream.stopped;
    openStreams.delete(stream.stop);
  }

  async function streamRun(request: EventsRequest, reply: FastifyReply, session: Session): Promise<void> {
    const { organizationId } = session;
    const run = await runs.get(organizationId, request.params.run_id);
    const baseRunId = await defaultBaseRunId(services, organizationId, run.id);
    const filter = storeFilter(parseResultFilter(request.query), baseRunId);
    const finishedParts = async (finished: WorkflowTestRun) => ({
      'run-actions': rerunForms(finished, session.csrfToken).text,
      'run-comparison': (await comparisonOfFinishedRun(services, organizationId, finished, baseRunId)).text,
    });
    await streamFeed(request, reply, new RunEventFeed(services, organizationId, run.id, filter, finishedParts), run.id);
  }

  /** A workflow run's page: its summary, step graph and selected step (`?step=`). */
  async function streamWorkflowRun(request: EventsRequest, reply: FastifyReply, session: Session): Promise<void> {
    const run = await workflowRuns.get(session.organizationId, request.params.run_id);
    const feed = new WorkflowRunEventFeed(services, session.organizationId, run.id, formField(request.query, 'step') || null);
    await streamFeed(request, reply, feed, run.id);
  }

  /** Each stream holds one of the session's and the organization's streams while it is open. */
  function reservedStream(stream: (request: EventsRequest, reply: FastifyReply, session: Session) => Promise<void>) {
    return async (request: EventsRequest, reply: FastifyReply) => {
      const session = sessionOf(request);
      const release = reserveStream(limits, session);
      try {
        await stream(request, reply, session);
      } finally {
        release();
      }
    };
  }

  app.get<{ Params: { run_id: string } }>('/runs/:run_id/events', reservedStream(streamRun));
  app.get<{ Params: { run_id: string } }>('/workflow-runs/:run_id/events', reservedStream(streamWorkflowRun));
}
