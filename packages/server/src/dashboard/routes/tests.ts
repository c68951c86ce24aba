import type { FastifyInstance } from 'fastify';
import { describeTest } from '../../services/history.js';
import { sendPage, sessionOf } from '../context.js';
import { testView } from '../views/test.js';

const RECENT_RESULTS = 20;

export async function testPages(app: FastifyInstance): Promise<void> {
  app.get<{ Params: { test_id: string } }>('/tests/:test_id', async (request, reply) => {
    const { organizationId } = sessionOf(request);
    const page = await describeTest(app.services, organizationId, request.params.test_id, RECENT_RESULTS);
    return sendPage(request, reply, { title: page.test.name ?? page.test.id, section: 'workflows', main: testView({ ...page, resultLimit: RECENT_RESULTS }) });
  });
}
