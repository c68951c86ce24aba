import type { FastifyInstance } from 'fastify';
import { createError } from '../../errors/index.js';
import { findBlockRow } from '../../store/graph.js';
import { findResultPreview } from '../../store/results.js';
import { findTestRow } from '../../store/tests.js';
import { sendPage, sessionOf } from '../context.js';
import { resultView } from '../views/result.js';

export async function resultPages(app: FastifyInstance): Promise<void> {
  const db = app.services.store.db;

  app.get<{ Params: { result_id: string } }>('/results/:result_id', async (request, reply) => {
    const { organizationId } = sessionOf(request);
    const found = await findResultPreview(db, organizationId, request.params.result_id);
    if (!found) throw createError('result_not_found', request.params.result_id);
    const { result, assertion } = found;
    const [test, block] = await Promise.all([findTestRow(db, organizationId, result.test_id), findBlockRow(db, organizationId, result.block_id, result.workflow_id)]);
    const main = resultView({ result, testName: test?.name ?? null, assertion, block: block ? { label: block.label, type: block.type } : null });
    return sendPage(request, reply, { title: test?.name ?? result.test_id, section: 'runs', main });
  });
}
