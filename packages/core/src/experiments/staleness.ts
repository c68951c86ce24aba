import { fingerprint } from '../canonical.js';
import type { HandleInput } from '../schemas/tests.js';
import { handleInputsFingerprint } from '../workflow/fingerprints.js';

/**
 * When an experiment run's metrics stop describing the experiment (docs/experiments.md §6): its
 * block's executable part, its vote count or its document set changed since the run was created.
 */

export type StaleReason = 'block_deleted' | 'block_config_changed' | 'n_consensus_changed' | 'documents_changed';

/** What a run was made from, and what the experiment is now. */
export interface ExperimentDefinition {
  /** blockConfigFingerprint of the block (type, config, parent); null when the block is gone. */
  blockConfigFingerprint: string | null;
  nConsensus: number;
  documentsFingerprint: string;
}

/** The block's config fingerprint and the vote count together: what the run's votes depend on besides its documents. */
export function blockExecutionFingerprint(blockConfig: string, nConsensus: number): string {
  return fingerprint({ block_config_fingerprint: blockConfig, n_consensus: nConsensus });
}

/** The document set by content: each document's handle inputs fingerprint (decisions.md §8), in order. */
export function documentsFingerprint(documents: Array<{ handle_inputs: Record<string, HandleInput> }>): string {
  return fingerprint(documents.map((document) => handleInputsFingerprint(document.handle_inputs)));
}

export function staleReasons(run: ExperimentDefinition, current: ExperimentDefinition): StaleReason[] {
  const reasons: StaleReason[] = [];
  if (current.blockConfigFingerprint === null) reasons.push('block_deleted');
  else if (current.blockConfigFingerprint !== run.blockConfigFingerprint) reasons.push('block_config_changed');
  if (current.nConsensus !== run.nConsensus) reasons.push('n_consensus_changed');
  if (current.documentsFingerprint !== run.documentsFingerprint) reasons.push('documents_changed');
  return reasons;
}
