import { createHash } from 'node:crypto';
import {
  formatSpecPath,
  newId,
  testSourceFingerprint,
  type AssertionSpec,
  type DiagnosticIssue,
  type DraftTest,
  type FileIdentity,
  type HandleInput,
  type ParsedSpec,
  type PlanOperation,
  type SpecTest,
  type SpecTestInput,
  type WorkflowTestSource,
} from '@verdict/core';
import type { Kysely } from 'kysely';
import { decodeDataUrl, FileInputError, materializedDocumentOf, sha256OfBlobUri, type FileDocument } from '../files/index.js';
import { fromJson, toJson } from '../store/database.js';
import type { Database } from '../store/schema.js';
import type { TestRow } from '../store/tests.js';
import { findBlockRow } from '../store/graph.js';
import type { GraphWrite } from './graph.js';
import { savedDep } from './tests.js';
import type { Services } from './index.js';

type FileInput = Extract<SpecTestInput, { type: 'file' }>;

/** Every file input of the spec once, with where it is written (cases share one inputs object among their assertions). */
function fileInputs(spec: ParsedSpec): Array<{ input: FileInput; path: string }> {
  const seen = new Set<FileInput>();
  const found: Array<{ input: FileInput; path: string }> = [];
  for (const test of spec.tests ?? []) {
    for (const [handle, input] of Object.entries(test.handle_inputs)) {
      if (input.type !== 'file' || seen.has(input)) continue;
      seen.add(input);
      found.push({ input, path: formatSpecPath([...test.path.slice(0, 3), 'inputs', handle, 'file']) });
    }
  }
  return found;
}

/** As the file store names an upload: trimmed, and "document" when blank. */
function storedFilename(filename: string): string {
  return filename.trim() === '' ? 'document' : filename.trim();
}

/** What a stored document's identity is, without reading its bytes. */
function storedIdentity(document: FileDocument): FileIdentity | undefined {
  if (!('original_id' in document)) return undefined;
  const sha256 = (document.gcs_uri === undefined ? null : sha256OfBlobUri(document.gcs_uri)) ?? document.content_fingerprint ?? null;
  return sha256 === null ? undefined : { filename: document.filename, sha256 };
}

async function identityOf(services: Services, organizationId: string, document: FileDocument): Promise<FileIdentity> {
  if ('url' in document) {
    const filename = storedFilename(document.filename);
    const { bytes } = decodeDataUrl(document.url, filename, services.fileStorage.maxFileBytes);
    return { filename, sha256: createHash('sha256').update(bytes).digest('hex') };
  }
  if ('original_id' in document) {
    const identity = storedIdentity(document);
    if (identity) return identity;
  }
  const fileId = 'original_id' in document ? document.original_id : document.id;
  const file = await services.fileStorage.records.lookupFile(organizationId, fileId);
  if (file === null) throw new FileInputError('This organization has no file with this id; upload the file with POST /v1/files and use the id it returns.', 'file_not_found');
  return { filename: file.filename, sha256: file.sha256 };
}

function fileIssue(path: string, error: unknown): DiagnosticIssue {
  if (!(error instanceof FileInputError)) throw error;
  return { severity: 'error', code: 'INVALID_TEST_INPUT', message: error.message, path, line: null };
}

/**
 * Gives each file input of `spec.tests` its identity (name and sha256 of its bytes), which the plan
 * compares with the stored tests' files. Reads only: a data: URL is decoded, a file id looked up.
 */
export async function identifySpecFiles(services: Services, organizationId: string, spec: ParsedSpec): Promise<DiagnosticIssue[]> {
  const issues: DiagnosticIssue[] = [];
  for (const { input, path } of fileInputs(spec)) {
    try {
      input.identity = await identityOf(services, organizationId, input.document);
    } catch (error) {
      issues.push(fileIssue(path, error));
    }
  }
  return issues;
}

/**
 * Turns every file input into the stored form before the apply's transaction, so that a file the
 * store refuses stops the apply before anything is written. Bytes the organization already stored
 * are reused, so re-applying a spec records no new file.
 */
export async function storeSpecFiles(services: Services, organizationId: string, spec: ParsedSpec): Promise<DiagnosticIssue[]> {
  const issues: DiagnosticIssue[] = [];
  for (const { input, path } of fileInputs(spec)) {
    const known = input.identity && (await services.fileStorage.records.lookupFileBySha256(organizationId, input.identity.sha256));
    if (known) {
      input.document = { ...materializedDocumentOf(known), filename: input.identity!.filename };
      continue;
    }
    const normalized = await services.files.normalizeHandleInputs(organizationId, { file: { type: 'file', document: input.document } });
    if (normalized.issues.length > 0) issues.push(fileIssue(path, new FileInputError(normalized.issues[0]!.message, 'corrupt_file')));
    else input.document = (normalized.inputs.file as FileInput).document;
  }
  return issues;
}

function draftInputs(source: WorkflowTestSource | null): Record<string, SpecTestInput> {
  if (source?.type !== 'manual') return {};
  return Object.fromEntries(
    Object.entries(source.handle_inputs).map(([handle, input]): [string, SpecTestInput] => [
      handle,
      input.type === 'json' ? { type: 'json', data: input.data } : { type: 'file', document: input.document, identity: storedIdentity(input.document) },
    ]),
  );
}

/** The workflow's stored tests in creation order, as the plan compares them. */
export async function loadDraftTests(db: Kysely<Database>, organizationId: string, workflowId: string): Promise<DraftTest[]> {
  const rows = await db
    .selectFrom('tests')
    .select(['id', 'name', 'block_id', 'source', 'assertion'])
    .where('organization_id', '=', organizationId)
    .where('workflow_id', '=', workflowId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    block_id: row.block_id,
    handle_inputs: draftInputs(fromJson<WorkflowTestSource>(row.source)),
    assertion: fromJson<AssertionSpec>(row.assertion)!,
  }));
}

/** The columns a spec test sets; the stored source holds the documents without their plan-time identity. */
function testColumns(test: SpecTest, assertionId: string) {
  const handle_inputs = Object.fromEntries(
    Object.entries(test.handle_inputs).map(([handle, input]): [string, HandleInput] => [
      handle,
      input.type === 'json' ? { type: 'json', data: input.data } : { type: 'file', document: input.document },
    ]),
  );
  const source: WorkflowTestSource = { type: 'manual', handle_inputs };
  const assertion: AssertionSpec = { id: assertionId, ...test.assertion };
  return { block_id: test.block_id, name: test.name, source: toJson(source), handle_inputs_fingerprint: testSourceFingerprint(source), assertion: toJson(assertion) };
}

/** Runs one test operation of a plan inside the apply's transaction. */
export async function executeTestOperation(write: GraphWrite, operation: Extract<PlanOperation, { op: 'create_test' | 'update_test' | 'delete_test' }>): Promise<void> {
  /** The assertion's schema dependency, from the block as this apply leaves it (blocks are written before tests). */
  const schemaDep = async (test: SpecTest, assertionId: string) => {
    const block = await findBlockRow(write.trx, write.organizationId, test.block_id, write.workflowId);
    return block ? savedDep(block, { id: assertionId, ...test.assertion } as AssertionSpec, write.now) : null;
  };
  switch (operation.op) {
    case 'create_test': {
      const assertionId = newId('assertion');
      const row: TestRow = {
        id: newId('test'),
        organization_id: write.organizationId,
        workflow_id: write.workflowId,
        ...testColumns(operation.test, assertionId),
        assertion_schema_dep: await schemaDep(operation.test, assertionId),
        latest_result_id: null,
        latest_passing_result_id: null,
        latest_failing_result_id: null,
        created_at: write.now,
        updated_at: write.now,
      };
      await write.trx.insertInto('tests').values(row).execute();
      return;
    }
    case 'update_test':
      await write.trx
        .updateTable('tests')
        .set({ ...testColumns(operation.test, operation.assertion_id), assertion_schema_dep: await schemaDep(operation.test, operation.assertion_id), updated_at: write.now })
        .where('organization_id', '=', write.organizationId)
        .where('id', '=', operation.test_id)
        .execute();
      return;
    case 'delete_test':
      await write.trx.deleteFrom('tests').where('organization_id', '=', write.organizationId).where('id', '=', operation.test_id).execute();
  }
}
