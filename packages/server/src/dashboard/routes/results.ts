import type { FastifyInstance } from 'fastify';
import { notFound } from '../../http/errors.js';
import { blockFromRow, findBlockRow } from '../../store/graph.js';
import { findResultPreview } from '../../store/results.js';
import { findTestRow } from '../../store/tests.js';
import { sendPage, sessionOf } from '../context.js';
import { functionLanguageName } from '../format.js';
import { resultView } from '../views/result.js';

export async function resultPages(app: FastifyInstance): Promise<void> {
  const db = app.services.store.db;

  app.get<{ Params: { result_id: string } }>('/results/:result_id', async (request, reply) => {
    const { organizationId } = sessionOf(request);
    const found = await findResultPreview(db, organizationId, request.params.result_id);
    if (!found) throw notFound('result_not_found', `No test result \`${request.params.result_id}\` in this organization.`);
    const { result, assertion } = found;
    const [test, block] = await Promise.all([findTestRow(db, organizationId, result.test_id), findBlockRow(db, organizationId, result.block_id, result.workflow_id)]);
    const main = resultView({ result, testName: test?.name ?? null, assertion, block: block ? { label: block.label, type: block.type, language: functionLanguageName(blockFromRow(block)) } : null });
    return sendPage(request, reply, { title: test?.name ?? result.test_id, section: 'runs', main });
  });
}
