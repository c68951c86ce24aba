import { testSourceFingerprint, type WorkflowTestSource } from '@verdict/core';
import { sql, type Kysely } from 'kysely';

const PAGE = 1000;

/**
 * Each test keeps the fingerprint of its inputs, written with its source: creating a run copies it
 * instead of parsing and hashing every test's inputs (a third of the time a large run took to create).
 * Tests written before get theirs here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tests').addColumn('handle_inputs_fingerprint', 'text').execute();
  for (let afterId = ''; ; ) {
    const { rows } = await sql<{ id: string; source: string }>`SELECT id, source FROM tests WHERE id > ${afterId} ORDER BY id LIMIT ${PAGE}`.execute(db);
    if (rows.length === 0) return;
    for (const { id, source } of rows) {
      const fingerprint = testSourceFingerprint(JSON.parse(source) as WorkflowTestSource);
      await sql`UPDATE tests SET handle_inputs_fingerprint = ${fingerprint} WHERE id = ${id}`.execute(db);
    }
    afterId = rows[rows.length - 1]!.id;
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tests').dropColumn('handle_inputs_fingerprint').execute();
}
