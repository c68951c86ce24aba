import type { FastifyInstance } from 'fastify';
import { describeResult } from '../../services/test-results.js';
import { sendPage, sessionOf } from '../context.js';
import { functionLanguageName } from '../format.js';
import { resultView } from '../views/result.js';

export async function resultPages(app: FastifyInstance): Promise<void> {
  app.get<{ Params: { result_id: string } }>('/results/:result_id', async (request, reply) => {
    const { organizationId } = sessionOf(request);
    const page = await describeResult(app.services, organizationId, request.params.result_id);
    return sendPage(request, reply, { title: page.testName ?? page.result.test_id, section: 'runs', main: resultView({ ...page, block: page.block ? { label: page.block.label, type: page.block.type, language: functionLanguageName(page.block) } : null }) });
  });
}
