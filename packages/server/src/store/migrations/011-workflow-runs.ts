import type { Kysely } from 'kysely';

/**
 * Workflow runs (issue 22): a run of a whole workflow, one row per step it executed (each loop
 * iteration its own step), the artifacts the steps produced, and blocks re-executed on a step's inputs. Lists are read per organization,
 * newest first, by keyset on (created_at, id): each filter a list takes has its own index so that
 * a page costs the same wherever it is.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('workflow_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('version_id', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('trigger_type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('inputs', 'text', (c) => c.notNull())
    .addColumn('metadata', 'text')
    .addColumn('cancel_reason', 'text')
    .addColumn('cancel_command_id', 'text')
    .addColumn('error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('completed_at', 'text')
    .execute();
  await db.schema.createIndex('workflow_runs_by_created').on('workflow_runs').columns(['organization_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('workflow_runs_by_workflow').on('workflow_runs').columns(['organization_id', 'workflow_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('workflow_runs_by_status').on('workflow_runs').columns(['organization_id', 'status', 'created_at', 'id']).execute();
  await db.schema.createIndex('workflow_runs_live').on('workflow_runs').columns(['status']).execute();

  await db.schema
    .createTable('workflow_run_steps')
    // A surrogate key: step ids are unique within a run only, and list cursors need one id.
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('step_id', 'text', (c) => c.notNull())
    .addColumn('block_id', 'text', (c) => c.notNull())
    .addColumn('block_type', 'text', (c) => c.notNull())
    .addColumn('block_label', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('lifecycle', 'text', (c) => c.notNull())
    .addColumn('loop_containers', 'text', (c) => c.notNull())
    .addColumn('handle_inputs', 'text', (c) => c.notNull())
    .addColumn('handle_outputs', 'text', (c) => c.notNull())
    .addColumn('artifact_operation', 'text')
    .addColumn('artifact_id', 'text')
    .addColumn('model', 'text')
    .addColumn('retry_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('completed_at', 'text')
    .execute();
  await db.schema.createIndex('workflow_run_steps_of_run').on('workflow_run_steps').columns(['run_id', 'step_id']).unique().execute();
  await db.schema.createIndex('workflow_run_steps_by_created').on('workflow_run_steps').columns(['organization_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('workflow_run_steps_by_block').on('workflow_run_steps').columns(['organization_id', 'block_id', 'created_at', 'id']).execute();

  await db.schema
    .createTable('workflow_artifacts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('step_id', 'text', (c) => c.notNull())
    .addColumn('block_id', 'text', (c) => c.notNull())
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('workflow_artifacts_of_run').on('workflow_artifacts').columns(['run_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('workflow_artifacts_by_created').on('workflow_artifacts').columns(['organization_id', 'created_at', 'id']).execute();

  // A block re-executed on the inputs a step recorded (POST /v1/workflows/blocks/executions), kept whole as answered.
  await db.schema
    .createTable('block_executions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('block_id', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('block_executions_of_block').on('block_executions').columns(['organization_id', 'run_id', 'block_id', 'created_at', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['block_executions', 'workflow_artifacts', 'workflow_run_steps', 'workflow_runs']) await db.schema.dropTable(table).execute();
}
