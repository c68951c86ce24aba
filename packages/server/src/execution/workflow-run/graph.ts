import { EdgeChecker, type ResolvedEdge } from '@verdict/core';
import type { SnapshotBlock, WorkflowSnapshot } from '../../store/versions.js';
import type { HandlePayload } from './payloads.js';

/** Blocks that only document or frame the graph: they never become steps. */
const NEVER_RUN = new Set(['note', 'for_each_sentinel_start', 'for_each_sentinel_end', 'while_loop_sentinel_start', 'while_loop_sentinel_end']);

/**
 * One level of a workflow's graph (the top level, or the body of a for_each): its blocks and the
 * edges between them, each edge with both handles resolved.
 */
export interface GraphLevel {
  blocks: SnapshotBlock[];
  incoming: Map<string, ResolvedEdge[]>;
  outgoing: Map<string, ResolvedEdge[]>;
}

export function levelOf(snapshot: WorkflowSnapshot, parentId: string | null): GraphLevel {
  const blocks = snapshot.blocks.filter((block) => block.parent_id === parentId && !NEVER_RUN.has(block.type));
  const ids = new Set(blocks.map((block) => block.id));
  const checker = new EdgeChecker(snapshot.blocks, snapshot.edges);
  const incoming = new Map<string, ResolvedEdge[]>(blocks.map((block) => [block.id, []]));
  const outgoing = new Map<string, ResolvedEdge[]>(blocks.map((block) => [block.id, []]));
  for (const edge of snapshot.edges) {
    if (!ids.has(edge.source_block) || !ids.has(edge.target_block)) continue;
    const resolved = checker.resolve(edge);
    if (!resolved.ok) continue;
    incoming.get(edge.target_block)!.push(resolved.edge);
    outgoing.get(edge.source_block)!.push(resolved.edge);
  }
  return { blocks, incoming, outgoing };
}

/** What a finished step left for the blocks below it. */
export interface SettledStep {
  status: 'completed' | 'skipped' | 'error' | 'cancelled';
  /** Payload per output handle that carries data (a routed-away handle is absent). */
  outputs: Record<string, HandlePayload>;
}

export type Readiness = { kind: 'waiting' } | { kind: 'run'; inputs: Record<string, HandlePayload> } | { kind: 'skip'; reason: string };

/**
 * Whether a block can run now: every block above it has settled, and each of its input handles
 * received data. A block whose input arrives from a skipped block or an unselected branch is
 * skipped (merge_dicts only when none of its inputs arrived: it merges what came).
 */
export function readinessOf(block: SnapshotBlock, level: GraphLevel, settled: ReadonlyMap<string, SettledStep>): Readiness {
  const edges = level.incoming.get(block.id) ?? [];
  const inputs: Record<string, HandlePayload> = {};
  const missing: string[] = [];
  for (const edge of edges) {
    const source = settled.get(edge.source_block);
    if (!source) return { kind: 'waiting' };
    if (source.status === 'completed' && edge.source_handle in source.outputs) inputs[edge.target_handle] = source.outputs[edge.source_handle];
    else missing.push(`${edge.source_block}.${edge.source_handle}`);
  }
  const skip = block.type === 'merge_dicts' ? edges.length > 0 && missing.length === edges.length : missing.length > 0;
  if (skip) return { kind: 'skip', reason: `No data arrived from ${missing.map((name) => `\`${name}\``).join(', ')} (a skipped block or a branch not taken).` };
  return { kind: 'run', inputs };
}

/** The blocks of a snapshot that become steps when it runs (every level). */
export function runnableBlocks(snapshot: WorkflowSnapshot): SnapshotBlock[] {
  return snapshot.blocks.filter((block) => !NEVER_RUN.has(block.type));
}
