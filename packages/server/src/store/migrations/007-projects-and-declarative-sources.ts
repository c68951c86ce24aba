import type { Kysely } from 'kysely';
import { DEFAULT_PROJECT_ID } from '@verdict/core';

/**
 * Later Retab SDKs file every workflow under a project, and remember which authored spec block a
 * block came from when a spec import had to give it a new id. Workflows stored before land in the
 * organization's default project (older SDKs never name one).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('workflows').addColumn('project_id', 'text', (c) => c.notNull().defaultTo(DEFAULT_PROJECT_ID)).execute();
  await db.schema.createIndex('workflows_by_project').on('workflows').columns(['organization_id', 'project_id', 'id']).execute();
  await db.schema.alterTable('blocks').addColumn('declarative_source_block_id', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('blocks').dropColumn('declarative_source_block_id').execute();
  await db.schema.dropIndex('workflows_by_project').execute();
  await db.schema.alterTable('workflows').dropColumn('project_id').execute();
}
