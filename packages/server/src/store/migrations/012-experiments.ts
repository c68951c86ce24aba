import type { Kysely } from 'kysely';

/**
 * Experiments (docs/experiments.md): an experiment names one block and a set of documents; each
 * run keeps what it was made from (the block as it ran, its fingerprints) and one result per
 * document with every vote, so that the metrics are computed from what is stored. Apart from
 * the test tables: experiment work never appears in test runs.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('experiments')
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('block_id', 'text', (c) => c.notNull())
    .addColumn('block_type', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('n_consensus', 'integer', (c) => c.notNull())
    .addColumn('document_count', 'integer', (c) => c.notNull())
    .addColumn('documents_fingerprint', 'text', (c) => c.notNull())
    .addColumn('last_run_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('experiments_pk', ['organization_id', 'id'])
    .execute();
  await db.schema.createIndex('experiments_by_workflow').on('experiments').columns(['organization_id', 'workflow_id', 'created_at', 'id']).execute();

  await db.schema
    .createTable('experiment_documents')
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('experiment_id', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('handle_inputs', 'text', (c) => c.notNull())
    .addColumn('provenance', 'text')
    .addPrimaryKeyConstraint('experiment_documents_pk', ['organization_id', 'id'])
    .execute();
  await db.schema.createIndex('experiment_documents_by_experiment').on('experiment_documents').columns(['organization_id', 'experiment_id', 'position']).execute();

  await db.schema
    .createTable('experiment_runs')
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('experiment_id', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('workflow_version_id', 'text', (c) => c.notNull())
    .addColumn('block_id', 'text', (c) => c.notNull())
    .addColumn('block_type', 'text', (c) => c.notNull())
    .addColumn('block', 'text', (c) => c.notNull())
    .addColumn('n_consensus', 'integer', (c) => c.notNull())
    .addColumn('block_config_fingerprint', 'text', (c) => c.notNull())
    .addColumn('block_execution_fingerprint', 'text', (c) => c.notNull())
    .addColumn('documents_fingerprint', 'text', (c) => c.notNull())
    .addColumn('trigger_type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error_message', 'text')
    .addColumn('cancel_reason', 'text')
    .addColumn('score', 'double precision')
    .addColumn('total_document_count', 'integer', (c) => c.notNull())
    .addColumn('completed_document_count', 'integer', (c) => c.notNull())
    .addColumn('error_count', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('completed_at', 'text')
    .addPrimaryKeyConstraint('experiment_runs_pk', ['organization_id', 'id'])
    .execute();
  await db.schema.createIndex('experiment_runs_by_experiment').on('experiment_runs').columns(['organization_id', 'experiment_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('experiment_runs_by_created').on('experiment_runs').columns(['organization_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('experiment_runs_by_status').on('experiment_runs').columns(['status']).execute();

  await db.schema
    .createTable('experiment_results')
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('experiment_id', 'text', (c) => c.notNull())
    .addColumn('document_id', 'text', (c) => c.notNull())
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('handle_inputs', 'text', (c) => c.notNull())
    .addColumn('handle_outputs', 'text')
    .addColumn('votes', 'text')
    .addColumn('page_count', 'integer')
    .addColumn('details', 'text')
    .addColumn('error_message', 'text')
    .addColumn('error_details', 'text')
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('completed_at', 'text')
    .addColumn('duration_ms', 'integer')
    .addPrimaryKeyConstraint('experiment_results_pk', ['organization_id', 'id'])
    .execute();
  await db.schema.createIndex('experiment_results_by_run').on('experiment_results').columns(['organization_id', 'run_id', 'position']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['experiment_results', 'experiment_runs', 'experiment_documents', 'experiments']) await db.schema.dropTable(table).execute();
}
