import type { EdgeEndpoints } from '../edges.js';
import { workflowDraftFingerprint, type ExecutableBlock } from '../fingerprints.js';

/**
 * The fingerprint of everything that decides what reaches `blockId`'s inputs: every block it
 * depends on through edges, the for_each blocks around it (they pick its items) and what those
 * depend on, with the edges among them and into the block, hashed as the draft fingerprint hashes
 * a whole workflow (docs/decisions.md §8). The block's own config is left out: a block execution
 * replays recorded inputs with the block's *current* config, so changing it is the point, while
 * changing anything above it makes the recorded inputs stale (409 `upstream_changed`).
 * Null when the block is not in the graph.
 */
export function upstreamFingerprint(blocks: readonly ExecutableBlock[], edges: readonly EdgeEndpoints[], blockId: string): string | null {
  const byId = new Map(blocks.map((block) => [block.id, block]));
  if (!byId.has(blockId)) return null;
  const incoming = new Map<string, EdgeEndpoints[]>();
  for (const edge of edges) {
    const list = incoming.get(edge.target_block);
    if (list) list.push(edge);
    else incoming.set(edge.target_block, [edge]);
  }
  const upstream = new Set<string>();
  const relevantEdges: EdgeEndpoints[] = [];
  const pending = [blockId];
  const visited = new Set<string>([blockId]);
  const reach = (id: string | null | undefined) => {
    if (!id || visited.has(id) || !byId.has(id)) return;
    visited.add(id);
    upstream.add(id);
    pending.push(id);
  };
  while (pending.length > 0) {
    const id = pending.pop()!;
    for (const edge of incoming.get(id) ?? []) {
      relevantEdges.push(edge);
      reach(edge.source_block);
    }
    reach(byId.get(id)!.parent_id);
  }
  return workflowDraftFingerprint([...upstream].map((id) => byId.get(id)!), relevantEdges);
}
