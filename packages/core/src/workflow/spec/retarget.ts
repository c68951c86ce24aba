import type { DraftBlock, ParsedSpec } from './model.js';

/** What the organization already holds, for choosing the ids a spec's blocks and edges get in the target workflow. */
export interface RetargetContext {
  /** The workflow the spec is applied to (an existing one, or the id of the one to create). */
  workflowId: string;
  /** The target's draft blocks with the spec id each came from (null: made through the block API). */
  draftBlocks: Array<Pick<DraftBlock, 'id'> & { declarative_source_block_id: string | null }>;
  /** Block and edge ids other workflows of the organization hold: a spec cannot reuse them. */
  foreignBlockIds: ReadonlySet<string>;
  foreignEdgeIds: ReadonlySet<string>;
  newBlockId: () => string;
}

export interface RetargetedSpec {
  spec: ParsedSpec;
  /** Stored block id → the id the spec wrote. */
  authoredIds: Map<string, string>;
}

/**
 * The spec rewritten for one target workflow, the way later Retab SDKs apply one: the YAML's
 * `metadata.id` is only where it came from. Each spec block is matched to the draft block of the
 * same id, else to the one applied from that spec id before; a block with no match keeps its spec
 * id when no other workflow holds it, else gets a new id. Edges follow their blocks; an edge id
 * another workflow holds is dropped (the store chooses one).
 */
export function retargetSpec(spec: ParsedSpec, context: RetargetContext): RetargetedSpec {
  const stored = new Map<string, string>();
  const taken = new Set<string>();
  const claim = (authored: string, id: string) => {
    stored.set(authored, id);
    taken.add(id);
  };
  const draftIds = new Set(context.draftBlocks.map((block) => block.id));
  for (const authored of spec.blocks.keys()) if (draftIds.has(authored)) claim(authored, authored);
  const bySource = new Map(context.draftBlocks.flatMap((block) => (block.declarative_source_block_id ? [[block.declarative_source_block_id, block.id] as const] : [])));
  for (const authored of spec.blocks.keys()) {
    const match = bySource.get(authored);
    if (!stored.has(authored) && match !== undefined && !taken.has(match)) claim(authored, match);
  }
  for (const authored of spec.blocks.keys()) {
    if (stored.has(authored)) continue;
    const free = !context.foreignBlockIds.has(authored) && !taken.has(authored) && !draftIds.has(authored);
    claim(authored, free ? authored : context.newBlockId());
  }
  const idOf = (authored: string) => stored.get(authored) ?? authored;
  const blocks = new Map(
    [...spec.blocks].map(([authored, block]) => [idOf(authored), { ...block, parent_id: block.parent_id === null ? null : idOf(block.parent_id) }] as const),
  );
  const edges = spec.edges.map((edge) => ({
    ...edge,
    id: edge.id !== null && context.foreignEdgeIds.has(edge.id) ? null : edge.id,
    source_block: idOf(edge.source_block),
    target_block: idOf(edge.target_block),
  }));
  const authoredIds = new Map([...stored].map(([authored, id]) => [id, authored]));
  return { spec: { metadata: { ...spec.metadata, id: context.workflowId }, blocks, edges, tests: spec.tests?.map((test) => ({ ...test, block_id: idOf(test.block_id) })) ?? null }, authoredIds };
}
