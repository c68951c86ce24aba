import { captureSchemaDep, type AssertionSpec, type BlockConfig, type BlockType, type SavedSchemaDep } from '@verdict/core';
import { sql, type Kysely } from 'kysely';

const PAGE = 1000;

/**
 * Each test keeps the part of its block's output schema its assertion depended on when it was
 * saved, so that a later edit of the schema shows as drift. Tests written before get the part the
 * draft declares now, dated when the test was last updated: a run after that date still counts as
 * the later baseline.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tests').addColumn('assertion_schema_dep', 'text').execute();
  for (let afterId = ''; ; ) {
    const { rows } = await sql<{ id: string; assertion: string; updated_at: string; type: string | null; config: string | null; parent_id: string | null }>`
      SELECT t.id, t.assertion, t.updated_at, b.type, b.config, b.parent_id
      FROM tests t LEFT JOIN blocks b ON b.organization_id = t.organization_id AND b.id = t.block_id AND b.workflow_id = t.workflow_id
      WHERE t.id > ${afterId} ORDER BY t.id LIMIT ${PAGE}`.execute(db);
    if (rows.length === 0) return;
    for (const row of rows) {
      const assertion = JSON.parse(row.assertion) as AssertionSpec | null;
      if (!assertion?.target) continue;
      const block = row.type === null ? null : { type: row.type as BlockType, config: row.config === null ? null : (JSON.parse(row.config) as BlockConfig), parent_id: row.parent_id };
      const saved: SavedSchemaDep = { dep: captureSchemaDep(block, assertion.target), captured_at: row.updated_at };
      await sql`UPDATE tests SET assertion_schema_dep = ${JSON.stringify(saved)} WHERE id = ${row.id}`.execute(db);
    }
    afterId = rows[rows.length - 1]!.id;
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tests').dropColumn('assertion_schema_dep').execute();
}
