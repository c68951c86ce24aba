import { z } from 'zod';
import { Timestamp } from './common.js';

export const BLOCK_TYPES = [
  'start_document', 'start_json', 'note', 'parse', 'edit', 'extract', 'split', 'classifier', 'conditional',
  'api_call', 'review', 'function', 'while_loop', 'for_each', 'merge_dicts', 'while_loop_sentinel_start',
  'while_loop_sentinel_end', 'for_each_sentinel_start', 'for_each_sentinel_end',
] as const;
export const CREATABLE_BLOCK_TYPES = [
  'start_document', 'start_json', 'note', 'parse', 'edit', 'extract', 'split', 'classifier', 'conditional',
  'api_call', 'function', 'while_loop', 'for_each', 'merge_dicts',
] as const;
export const TESTABLE_BLOCK_TYPES = ['function', 'extract', 'split', 'classifier'] as const;
export type BlockType = (typeof BLOCK_TYPES)[number];
export type TestableBlockType = (typeof TESTABLE_BLOCK_TYPES)[number];

export const WorkflowPublished = z
  .object({ version_id: z.string().nullable(), published_at: Timestamp.nullable(), description: z.string() })
  .meta({ id: 'WorkflowPublished' });

/** Workflows created without a project (every call of SDKs before 2026-06-04) belong to this one. */
export const DEFAULT_PROJECT_ID = 'proj_default';

export const ProjectId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'Project ids may contain letters, digits, `_`, `-`, `.` and `:` only.')
  .meta({ description: 'A project of the organization; any id names one (Verdict keeps no project records).' });

export const Workflow = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    published: WorkflowPublished.nullable(),
    project_id: z.string().nullable().meta({ description: `The project of the workflow; \`${DEFAULT_PROJECT_ID}\` when it was created without one.` }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Workflow' });
export type Workflow = z.infer<typeof Workflow>;

export const CreateWorkflowRequest = z
  .object({
    name: z.string().max(200).default('Untitled Workflow'),
    description: z.string().max(4000).default(''),
    project_id: ProjectId.nullable().optional(),
  })
  .meta({ id: 'CreateWorkflowRequest' });
export const UpdateWorkflowRequest = z
  .object({ name: z.string().max(200).nullable().optional(), description: z.string().max(4000).nullable().optional() })
  .meta({ id: 'UpdateWorkflowRequest' });
export const PublishWorkflowRequest = z.object({ description: z.string().max(4000).default('') }).meta({ id: 'PublishWorkflowRequest' });

export const BlockConfig = z.record(z.string(), z.unknown());
export type BlockConfig = z.infer<typeof BlockConfig>;

export const WorkflowBlock = z
  .object({
    id: z.string(),
    workflow_id: z.string(),
    type: z.enum(BLOCK_TYPES),
    label: z.string(),
    position_x: z.number(),
    position_y: z.number(),
    width: z.number().nullable(),
    height: z.number().nullable(),
    config: BlockConfig.nullable(),
    parent_id: z.string().nullable(),
    declarative_path: z.string().nullable().meta({ description: 'The path of the block in the spec it was applied from (`spec.blocks.<id>`); null for blocks not made by a spec apply.' }),
    declarative_source_block_id: z
      .string()
      .nullable()
      .meta({ description: 'The id the spec gave the block; differs from `id` when the apply had to choose a new one. Null for blocks not made by a spec apply.' }),
    updated_at: Timestamp,
    input_handles: z.array(z.string()).meta({ description: "Verdict extension: the block's input handle ids." }),
    output_handles: z.array(z.string()).meta({ description: "Verdict extension: the block's output handle ids." }),
  })
  .meta({ id: 'WorkflowBlock' });
export type WorkflowBlock = z.infer<typeof WorkflowBlock>;

const blockId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'Block ids may contain letters, digits, `_`, `-`, `.` and `:` only.');

export const CreateWorkflowBlockRequest = z
  .object({
    workflow_id: z.string().min(1),
    id: blockId.nullable().optional(),
    type: z.enum(CREATABLE_BLOCK_TYPES),
    label: z.string().max(200).default(''),
    position_x: z.number().default(0),
    position_y: z.number().default(0),
    width: z.number().nullable().optional(),
    height: z.number().nullable().optional(),
    config: BlockConfig.nullable().optional(),
    parent_id: z.string().nullable().optional(),
  })
  .meta({ id: 'CreateWorkflowBlockRequest' });
export type CreateWorkflowBlockRequest = z.infer<typeof CreateWorkflowBlockRequest>;

export const UpdateWorkflowBlockRequest = z
  .object({
    label: z.string().max(200).nullable().optional(),
    position_x: z.number().nullable().optional(),
    position_y: z.number().nullable().optional(),
    width: z.number().nullable().optional(),
    height: z.number().nullable().optional(),
    config: BlockConfig.nullable().optional(),
    parent_id: z.string().nullable().optional(),
    config_mode: z.enum(['merge', 'replace']).nullable().optional(),
  })
  .meta({ id: 'UpdateWorkflowBlockRequest' });
export type UpdateWorkflowBlockRequest = z.infer<typeof UpdateWorkflowBlockRequest>;

export const WorkflowEdge = z
  .object({
    id: z.string(),
    workflow_id: z.string(),
    source_block: z.string(),
    target_block: z.string(),
    source_handle: z.string().nullable(),
    target_handle: z.string().nullable(),
    updated_at: Timestamp,
  })
  .meta({ id: 'WorkflowEdge' });
export type WorkflowEdge = z.infer<typeof WorkflowEdge>;

export const CreateWorkflowEdgeRequest = z
  .object({
    workflow_id: z.string().min(1),
    id: z.string().min(1).max(200).nullable().optional(),
    source_block: z.string().min(1),
    target_block: z.string().min(1),
    source_handle: z.string().nullable().optional(),
    target_handle: z.string().nullable().optional(),
  })
  .meta({ id: 'CreateWorkflowEdgeRequest' });
export type CreateWorkflowEdgeRequest = z.infer<typeof CreateWorkflowEdgeRequest>;

export const DeclarativeWorkflowRequest = z
  .strictObject({
    yaml_definition: z.string(),
    project_id: ProjectId.nullable()
      .optional()
      .meta({ description: 'On `POST /v1/workflows/spec/apply` and `/plan`: create a new workflow in this project (the YAML id is only its source). Absent: apply to the workflow the YAML names.' }),
  })
  .meta({ id: 'DeclarativeWorkflowRequest' });

export const DiagnosticIssue = z.object({
  severity: z.enum(['error', 'warning']),
  code: z.string(),
  message: z.string(),
  path: z.string().nullable().optional(),
  line: z.number().int().nullable().optional(),
});
export type DiagnosticIssue = z.infer<typeof DiagnosticIssue>;
export const Diagnostics = z.object({ is_valid: z.boolean(), issues: z.array(DiagnosticIssue) });
export type Diagnostics = z.infer<typeof Diagnostics>;

export const DeclarativeValidationResponse = z
  .object({ workflow_id: z.string(), block_count: z.number().int(), edge_count: z.number().int(), is_valid: z.boolean(), diagnostics: Diagnostics })
  .meta({ id: 'DeclarativeValidationResponse' });
export type DeclarativeValidationResponse = z.infer<typeof DeclarativeValidationResponse>;

export const DeclarativePlanSummary = z
  .object({
    add: z.number().int(),
    change: z.number().int(),
    destroy: z.number().int(),
    replace: z.number().int(),
    noop: z.number().int(),
    total: z.number().int(),
    has_changes: z.boolean(),
  })
  .meta({ id: 'DeclarativePlanSummary' });
export type DeclarativePlanSummary = z.infer<typeof DeclarativePlanSummary>;

const PlanAction = z.enum(['create', 'update', 'delete']);

export const DeclarativePlanFieldChange = z
  .object({
    path: z.array(z.union([z.string(), z.number().int()])),
    path_display: z.string(),
    action: PlanAction,
    before: z.unknown(),
    after: z.unknown(),
    before_sensitive: z.boolean(),
    after_sensitive: z.boolean(),
    unified_diff: z.string().nullable(),
  })
  .meta({ id: 'DeclarativePlanFieldChange' });
export type DeclarativePlanFieldChange = z.infer<typeof DeclarativePlanFieldChange>;

export const DeclarativePlanChange = z
  .object({
    before: z.unknown(),
    after: z.unknown(),
    before_sensitive: z.unknown(),
    after_sensitive: z.unknown(),
    field_changes: z.array(DeclarativePlanFieldChange),
  })
  .meta({ id: 'DeclarativePlanChange' });
export type DeclarativePlanChange = z.infer<typeof DeclarativePlanChange>;

export const DeclarativePlanResourceChange = z
  .object({
    address: z.string(),
    target: z.enum(['workflow', 'block', 'edge', 'test']).meta({ description: '`test` is a Verdict extension: a test of `spec.tests`.' }),
    target_id: z.string(),
    name: z.string(),
    type: z.enum(['workflow', 'edge', 'test', ...BLOCK_TYPES]),
    actions: z.array(PlanAction),
    summary: z.string(),
    change: DeclarativePlanChange,
    path: z.string().nullable(),
  })
  .meta({ id: 'DeclarativePlanResourceChange' });
export type DeclarativePlanResourceChange = z.infer<typeof DeclarativePlanResourceChange>;

const planFields = {
  workflow_id: z.string(),
  action: z.enum(['create', 'update', 'noop']),
  block_count: z.number().int(),
  edge_count: z.number().int(),
  diagnostics: Diagnostics,
  format_version: z.string(),
  summary: DeclarativePlanSummary,
  resource_changes: z.array(DeclarativePlanResourceChange),
  rendered_plan: z.string(),
};
export const DeclarativePlanResponse = z.object(planFields).meta({ id: 'DeclarativePlanResponse' });
export type DeclarativePlanResponse = z.infer<typeof DeclarativePlanResponse>;
export const DeclarativeApplyResponse = z.object({ ...planFields, created: z.boolean() }).meta({ id: 'DeclarativeApplyResponse' });
export type DeclarativeApplyResponse = z.infer<typeof DeclarativeApplyResponse>;

export const DeclarativeExportResponse = z
  .object({ workflow_id: z.string(), yaml_definition: z.string() })
  .meta({ id: 'DeclarativeExportResponse' });
export type DeclarativeExportResponse = z.infer<typeof DeclarativeExportResponse>;
