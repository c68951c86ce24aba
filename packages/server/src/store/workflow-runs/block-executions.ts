import type { Page, StoredBlockExecution } from '@verdict/core';
import { sql, type Kysely } from 'kysely';
import { fromJson, toJson } from '../database.js';
import { keysetPage, type KeysetRequest } from '../keyset.js';
import type { Database } from '../schema.js';

/** A block execution is written once, finished: it never changes afterwards. */
export async function insertBlockExecution(db: Kysely<Database>, organizationId: string, execution: StoredBlockExecution): Promise<void> {
  await db
    .insertInto('block_executions')
    .values({ id: execution.id, organization_id: organizationId, run_id: execution.run_id, block_id: execution.block_id, body: toJson(execution), created_at: execution.created_at! })
    .execute();
}

export async function findBlockExecution(db: Kysely<Database>, organizationId: string, id: string): Promise<StoredBlockExecution | undefined> {
  const row = await db.selectFrom('block_executions').select('body').where('id', '=', id).where('organization_id', '=', organizationId).executeTakeFirst();
  return row ? fromJson<StoredBlockExecution>(row.body)! : undefined;
}

export async function listBlockExecutions(db: Kysely<Database>, organizationId: string, runId: string, blockId: string, request: KeysetRequest): Promise<Page<StoredBlockExecution>> {
  const query = db.selectFrom('block_executions').select(['id', 'body', 'created_at']).where('organization_id', '=', organizationId).where('run_id', '=', runId).where('block_id', '=', blockId);
  const page = await keysetPage(query, sql<string>`created_at`, sql.ref('id'), request, async (id) => {
    const row = await db.selectFrom('block_executions').select('created_at').where('id', '=', id).where('organization_id', '=', organizationId).executeTakeFirst();
    return row?.created_at;
  });
  return { data: page.data.map((row) => fromJson<StoredBlockExecution>(row.body)!), list_metadata: page.list_metadata };
}
