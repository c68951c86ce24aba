import type { AssertionSpec } from '@verdict/core';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../http/errors.js';
import { fromJson } from '../../store/database.js';
import { findBlockRow } from '../../store/graph.js';
import { findResultRow, resultFromRow } from '../../store/results.js';
import { findTestRow } from '../../store/tests.js';
import { sendPage, sessionOf } from '../context.js';
import { resultView } from '../views/result.js';

export async function resultPages(app: FastifyInstance): Promise<void> {
  const db = app.services.store.db;

  app.get<{ Params: { result_id: string } }>('/results/:result_id', async (request, reply) => {
    const { organizationId } = sessionOf(request);
    const row = await findResultRow(db, organizationId, request.params.result_id);
    if (!row) throw notFound('result_not_found', `No test result \`${request.params.result_id}\` in this organization.`);
    const [test, block] = await Promise.all([findTestRow(db, organizationId, row.test_id), findBlockRow(db, organizationId, row.block_id, row.workflow_id)]);
    const main = resultView({
      result: resultFromRow(row),
      testName: test?.name ?? null,
      assertion: fromJson<AssertionSpec>(row.assertion),
      block: block ? { label: block.label, type: block.type } : null,
    });
    return sendPage(request, reply, { title: test?.name ?? row.test_id, section: 'runs', main });
  });
}
