/**
 * Bounds on what one workflow run may ask for. Tenants are hostile: every list a request or a
 * workflow can grow is capped where it enters, so planning and scheduling stay small.
 */
export const RUN_LIMITS = {
  /** Blocks of a workflow that can be run (notes included). */
  maxBlocks: 500,
  /** Edges of a workflow that can be run. */
  maxEdges: 2_000,
  /** Longest dependency chain, counted in blocks. */
  maxDepth: 100,
  /** for_each containers nested inside each other. */
  maxLoopNesting: 3,
  /** Iterations one for_each may plan, whatever its `max_iterations` says. */
  maxIterations: 1_000,
  /** Steps one run may record, all iterations counted. */
  maxSteps: 10_000,
  /** Metadata pairs on a run, and the length of a key and of a value. */
  maxMetadataPairs: 64,
  maxMetadataKeyChars: 256,
  maxMetadataValueChars: 1_024,
  /** Conditions of a conditional block, and sub-conditions of one condition. */
  maxConditions: 100,
  maxSubConditions: 100,
  /** Array items one wildcard path may visit (all `.*` levels together). */
  maxWildcardItems: 10_000,
} as const;
