import { z } from 'zod';
import { Timestamp } from './common.js';
import { BLOCK_TYPES, BlockConfig, WorkflowBlock } from './workflows.js';

/** Retab's shapes of a stored workflow version (content-addressed `ver_…` ids, docs/decisions.md §3) and of its blocks and edges. */

export const WorkflowBlockPosition = z.object({ x: z.number(), y: z.number() }).meta({ id: 'WorkflowBlockPosition' });

export const WorkflowConfigBlock = z
  .object({
    id: z.string(),
    type: z.enum(BLOCK_TYPES),
    position: WorkflowBlockPosition,
    label: z.string(),
    config: BlockConfig.nullable(),
    width: z.number().nullable(),
    height: z.number().nullable(),
    parent_id: z.string().nullable(),
  })
  .meta({ id: 'WorkflowConfigBlock' });
export type WorkflowConfigBlock = z.infer<typeof WorkflowConfigBlock>;

export const WorkflowConfigEdge = z
  .object({
    id: z.string(),
    source: z.string(),
    target: z.string(),
    source_handle: z.string().nullable(),
    target_handle: z.string().nullable(),
    animated: z.boolean(),
  })
  .meta({ id: 'WorkflowConfigEdge' });
export type WorkflowConfigEdge = z.infer<typeof WorkflowConfigEdge>;

export const WorkflowGraphVersion = z
  .object({
    id: z.string().meta({ description: 'Content-addressed: the same executable graph always has the same id within a workflow.' }),
    workflow_id: z.string(),
    blocks: z.array(WorkflowConfigBlock),
    edges: z.array(WorkflowConfigEdge),
    block_version_ids: z.array(z.string()),
    edge_version_ids: z.array(z.string()),
    created_at: Timestamp,
  })
  .meta({ id: 'WorkflowGraphVersion' });
export type WorkflowGraphVersion = z.infer<typeof WorkflowGraphVersion>;

export const WorkflowGraphVersionDiff = z
  .object({
    from_workflow_version_id: z.string(),
    to_workflow_version_id: z.string(),
    added_block_ids: z.array(z.string()),
    removed_block_ids: z.array(z.string()),
    changed_block_ids: z.array(z.string()),
    added_edge_ids: z.array(z.string()),
    removed_edge_ids: z.array(z.string()),
    changed_edge_ids: z.array(z.string()),
  })
  .meta({ id: 'WorkflowGraphVersionDiff' });
export type WorkflowGraphVersionDiff = z.infer<typeof WorkflowGraphVersionDiff>;

export const WorkflowVersionFieldDiff = z
  .object({ field: z.string(), from_value: z.unknown(), to_value: z.unknown() })
  .meta({ id: 'WorkflowVersionFieldDiff' });
export type WorkflowVersionFieldDiff = z.infer<typeof WorkflowVersionFieldDiff>;

export const WorkflowBlockVersion = WorkflowBlock.pick({ type: true, label: true, position_x: true, position_y: true, width: true, height: true, parent_id: true, config: true })
  .extend({
    id: z.string().meta({ description: 'Content-addressed: a hash of the workflow id and the whole block.' }),
    block_id: z.string(),
    workflow_id: z.string(),
    workflow_version_id: z.string().meta({ description: 'The earliest stored workflow version that holds this block version.' }),
    config_hash: z.string().meta({ description: 'Hash of the executable part of the block (type, config, parent).' }),
    created_at: Timestamp,
  })
  .meta({ id: 'WorkflowBlockVersion' });
export type WorkflowBlockVersion = z.infer<typeof WorkflowBlockVersion>;

export const WorkflowBlockVersionDiff = z
  .object({ from_block_version_id: z.string(), to_block_version_id: z.string(), block_id: z.string(), changes: z.array(WorkflowVersionFieldDiff) })
  .meta({ id: 'WorkflowBlockVersionDiff' });
export type WorkflowBlockVersionDiff = z.infer<typeof WorkflowBlockVersionDiff>;

export const WorkflowEdgeVersion = z
  .object({
    id: z.string().meta({ description: 'Content-addressed: a hash of the workflow id and the whole edge.' }),
    edge_id: z.string(),
    workflow_id: z.string(),
    workflow_version_id: z.string().meta({ description: 'The earliest stored workflow version that holds this edge version.' }),
    source: z.string(),
    target: z.string(),
    source_handle: z.string().nullable(),
    target_handle: z.string().nullable(),
    animated: z.boolean(),
    created_at: Timestamp,
  })
  .meta({ id: 'WorkflowEdgeVersion' });
export type WorkflowEdgeVersion = z.infer<typeof WorkflowEdgeVersion>;

export const WorkflowEdgeVersionDiff = z
  .object({ from_edge_version_id: z.string(), to_edge_version_id: z.string(), edge_id: z.string(), changes: z.array(WorkflowVersionFieldDiff) })
  .meta({ id: 'WorkflowEdgeVersionDiff' });
export type WorkflowEdgeVersionDiff = z.infer<typeof WorkflowEdgeVersionDiff>;

export const ValidateWorkflowBlockConfigRequest = z
  .object({
    config: BlockConfig,
    config_mode: z
      .enum(['merge', 'replace'])
      .nullable()
      .default('replace')
      .meta({ description: "'replace' checks `config` as the whole config; 'merge' checks the result of merging it into the block's current config." }),
  })
  .meta({ id: 'ValidateWorkflowBlockConfigRequest' });
export type ValidateWorkflowBlockConfigRequest = z.infer<typeof ValidateWorkflowBlockConfigRequest>;

export const ValidateWorkflowBlockConfigResponse = z
  .object({ ok: z.boolean(), workflow_id: z.string(), block_id: z.string(), block_type: z.string(), config_hash: z.string() })
  .meta({ id: 'ValidateWorkflowBlockConfigResponse' });
export type ValidateWorkflowBlockConfigResponse = z.infer<typeof ValidateWorkflowBlockConfigResponse>;
