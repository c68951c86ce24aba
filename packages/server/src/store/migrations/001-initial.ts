import type { Kysely } from 'kysely';

/** The whole schema; portable DDL only, so SQLite and PostgreSQL share it. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('organizations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('key_prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('workflows')
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('published_version_id', 'text')
    .addColumn('published_at', 'text')
    .addColumn('published_description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('workflows_pk', ['organization_id', 'id'])
    .execute();

  await db.schema
    .createTable('workflow_versions')
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('snapshot', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('workflow_versions_pk', ['organization_id', 'workflow_id', 'id'])
    .execute();

  await db.schema
    .createTable('blocks')
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('position_x', 'double precision', (c) => c.notNull())
    .addColumn('position_y', 'double precision', (c) => c.notNull())
    .addColumn('width', 'double precision')
    .addColumn('height', 'double precision')
    .addColumn('config', 'text')
    .addColumn('parent_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('blocks_pk', ['organization_id', 'id'])
    .execute();
  await db.schema.createIndex('blocks_by_workflow').on('blocks').columns(['organization_id', 'workflow_id', 'id']).execute();

  await db.schema
    .createTable('edges')
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('source_block', 'text', (c) => c.notNull())
    .addColumn('source_handle', 'text')
    .addColumn('target_block', 'text', (c) => c.notNull())
    .addColumn('target_handle', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('edges_pk', ['organization_id', 'id'])
    .execute();
  await db.schema.createIndex('edges_by_workflow').on('edges').columns(['organization_id', 'workflow_id', 'id']).execute();

  await db.schema
    .createTable('tests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('block_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('assertion', 'text', (c) => c.notNull())
    .addColumn('latest_result_id', 'text')
    .addColumn('latest_passing_result_id', 'text')
    .addColumn('latest_failing_result_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('tests_by_workflow').on('tests').columns(['organization_id', 'workflow_id', 'id']).execute();
  await db.schema.createIndex('tests_by_block').on('tests').columns(['organization_id', 'workflow_id', 'block_id', 'id']).execute();

  await db.schema
    .createTable('test_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('version_id', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('trigger_type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('cancel_reason', 'text')
    .addColumn('error_message', 'text')
    .addColumn('error_details', 'text')
    .addColumn('target_block_id', 'text')
    .addColumn('test_id', 'text')
    .addColumn('total_tests', 'integer', (c) => c.notNull())
    .addColumn('n_pending', 'integer', (c) => c.notNull())
    .addColumn('n_queued', 'integer', (c) => c.notNull())
    .addColumn('n_running', 'integer', (c) => c.notNull())
    .addColumn('n_completed', 'integer', (c) => c.notNull())
    .addColumn('n_error', 'integer', (c) => c.notNull())
    .addColumn('n_cancelled', 'integer', (c) => c.notNull())
    .addColumn('n_passed', 'integer', (c) => c.notNull())
    .addColumn('n_failed', 'integer', (c) => c.notNull())
    .addColumn('n_blocked', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('completed_at', 'text')
    .execute();
  await db.schema.createIndex('test_runs_by_org').on('test_runs').columns(['organization_id', 'id']).execute();
  await db.schema.createIndex('test_runs_by_workflow').on('test_runs').columns(['organization_id', 'workflow_id', 'id']).execute();
  await db.schema.createIndex('test_runs_by_started').on('test_runs').columns(['organization_id', 'started_at', 'id']).execute();
  await db.schema.createIndex('test_runs_by_completed').on('test_runs').columns(['organization_id', 'completed_at', 'id']).execute();
  await db.schema.createIndex('test_runs_live').on('test_runs').columns(['status']).execute();

  await db.schema
    .createTable('test_results')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('test_id', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('block_id', 'text', (c) => c.notNull())
    .addColumn('block_type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('verdict', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('assertion', 'text', (c) => c.notNull())
    .addColumn('outputs', 'text')
    .addColumn('routing', 'text')
    .addColumn('warnings', 'text')
    .addColumn('error', 'text')
    .addColumn('assertion_result', 'text')
    .addColumn('execution_details', 'text')
    .addColumn('handle_inputs_fingerprint', 'text', (c) => c.notNull())
    .addColumn('block_config_fingerprint', 'text', (c) => c.notNull())
    .addColumn('workflow_draft_fingerprint', 'text', (c) => c.notNull())
    .addColumn('execution_fingerprint', 'text', (c) => c.notNull())
    .addColumn('duration_ms', 'integer')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('completed_at', 'text')
    .execute();
  await db.schema.createIndex('test_results_by_run').on('test_results').columns(['run_id', 'position']).unique().execute();
  await db.schema.createIndex('test_results_live').on('test_results').columns(['run_id', 'status', 'position']).execute();
  await db.schema.createIndex('test_results_by_test').on('test_results').columns(['test_id', 'run_id']).execute();

  await db.schema
    .createTable('files')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('mime_type', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('api_key_id', 'text', (c) => c.notNull())
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
}
