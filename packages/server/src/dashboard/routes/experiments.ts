import type { FastifyInstance } from 'fastify';
import { sendPage, sessionOf } from '../context.js';
import { experimentRunView } from '../views/experiment.js';

export async function experimentPages(app: FastifyInstance): Promise<void> {
  app.get<{ Params: { run_id: string } }>('/experiments/runs/:run_id', async (request, reply) => {
    const { organizationId } = sessionOf(request);
    const { experiments, experimentMetrics } = app.services;
    const run = await experiments.getRun(organizationId, request.params.run_id);
    const [experiment, metrics] = await Promise.all([
      experiments.get(organizationId, run.experiment_id),
      experimentMetrics.metrics(organizationId, { run_id: run.id, view: 'summary', include_prior: true }),
    ]);
    return sendPage(request, reply, { title: experiment.name, section: 'runs', main: experimentRunView({ experiment, run, metrics }) });
  });
}
