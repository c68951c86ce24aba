import type { ByDocumentMetrics, ByTargetMetrics, ConfusionFlow, ConfusionSummary, ExperimentBlockType, TargetConfusion, VoteRow, VotesMetrics } from '../schemas/experiments.js';
import { mean, votedItems, type DocumentVotes, type VotedItem } from './votes.js';

/**
 * The metrics of an experiment run as pure functions of its stored votes (docs/experiments.md):
 * nothing is estimated, every number is a share of votes or a mean of such shares.
 */

export interface ScoredDocument {
  id: string;
  filename: string;
  items: VotedItem[];
  /** Mean of the items' scores; 1 for a document with no item (every voter answered nothing). */
  score: number;
}

export interface ScoredRun {
  blockType: ExperimentBlockType;
  documents: ScoredDocument[];
  /** Mean of the document scores; null when no document was scored. */
  score: number | null;
}

export function isConfusionBlock(blockType: ExperimentBlockType): boolean {
  return blockType === 'classifier' || blockType === 'split';
}

export function scoreDocument(blockType: ExperimentBlockType, document: DocumentVotes): ScoredDocument {
  const items = votedItems(blockType, document);
  return { id: document.id, filename: document.filename, items, score: mean(items.map((item) => item.score)) ?? 1 };
}

export function scoreRun(blockType: ExperimentBlockType, documents: DocumentVotes[]): ScoredRun {
  const scored = documents.map((document) => scoreDocument(blockType, document));
  return { blockType, documents: scored, score: mean(scored.map((document) => document.score)) };
}

/** Mean item score per target (extract: per leaf path, the field likelihood; confusion blocks: per consensus label), over `items`. */
export function targetScores(items: VotedItem[]): Map<string, number> {
  const grouped = new Map<string, number[]>();
  for (const item of items) {
    const scores = grouped.get(item.target) ?? [];
    scores.push(item.score);
    grouped.set(item.target, scores);
  }
  return new Map([...grouped].map(([target, scores]) => [target, mean(scores)!]));
}

const allItems = (run: ScoredRun) => run.documents.flatMap((document) => document.items);

/** Extract: the likelihood of each field path over the run (mean over the documents that have it). */
export function likelihoods(run: ScoredRun): Record<string, number> {
  return Object.fromEntries(targetScores(allItems(run)));
}

/** Vote counts from each consensus label (row) to each voted label (column). */
function confusionCounts(items: VotedItem[]): Map<string, Map<string, number>> {
  const counts = new Map<string, Map<string, number>>();
  for (const item of items) {
    const row = counts.get(item.target) ?? new Map<string, number>();
    // A confusion block's votes are labels already (votedItems made them so).
    for (const vote of item.votes) row.set(String(vote), (row.get(String(vote)) ?? 0) + 1);
    counts.set(item.target, row);
  }
  return counts;
}

/**
 * diag[L]: of the votes cast on items whose consensus is L, the share that voted L.
 * A flow L→M: of those votes, the share that voted M (M ≠ L). Each row sums to 1.
 */
export function confusion(items: VotedItem[]): ConfusionSummary {
  const diag: Record<string, number> = {};
  const flows: ConfusionFlow[] = [];
  for (const [source, row] of confusionCounts(items)) {
    let total = 0;
    for (const count of row.values()) total += count;
    diag[source] = (row.get(source) ?? 0) / total;
    for (const [target, count] of row) if (target !== source) flows.push({ source, target, score: count / total });
  }
  flows.sort((a, b) => b.score - a.score || a.source.localeCompare(b.source) || a.target.localeCompare(b.target));
  return { diag, flows };
}

/** One label's slice of a confusion: its diagonal, the flows into it and out of it. */
export function targetConfusion(summary: ConfusionSummary, label: string): TargetConfusion {
  const flowFrom: Record<string, number> = {};
  const flowTo: Record<string, number> = {};
  for (const flow of summary.flows) {
    if (flow.target === label) flowFrom[flow.source] = flow.score;
    if (flow.source === label) flowTo[flow.target] = flow.score;
  }
  return { self: summary.diag[label] ?? null, flow_from: flowFrom, flow_to: flowTo };
}

export function aggregateOf(run: ScoredRun): { likelihoods: Record<string, number> } | ConfusionSummary {
  return isConfusionBlock(run.blockType) ? confusion(allItems(run)) : { likelihoods: likelihoods(run) };
}

/** What a target holds in one document: the consensus (extract, classifier) or the pages whose consensus it is (split). */
function targetValue(blockType: ExperimentBlockType, items: VotedItem[]): unknown {
  if (blockType === 'split') return items.map((item) => Number(item.path.slice('page.'.length)));
  return items[0]?.consensus ?? null;
}

function itemsOf(document: ScoredDocument, target: string): VotedItem[] {
  return document.items.filter((item) => item.target === target);
}

const findDocument = (run: ScoredRun | null, documentId: string) => run?.documents.find((document) => document.id === documentId) ?? null;

function targetsInOrder(items: VotedItem[]): string[] {
  return [...new Set(items.map((item) => item.target))];
}

export function summaryDocuments(run: ScoredRun, prior: ScoredRun | null) {
  return run.documents.map((document) => ({ id: document.id, filename: document.filename, score: document.score, prior_score: findDocument(prior, document.id)?.score ?? null }));
}

export function byDocument(run: ScoredRun, prior: ScoredRun | null, runId: string, document: ScoredDocument): ByDocumentMetrics {
  const priorDocument = findDocument(prior, document.id);
  const priorTargets = priorDocument ? targetScores(priorDocument.items) : new Map<string, number>();
  const scores = targetScores(document.items);
  return {
    run_id: runId,
    kind: 'by_document',
    view: 'by_document',
    document: { id: document.id, filename: document.filename },
    score: document.score,
    prior_score: priorDocument?.score ?? null,
    confusion: isConfusionBlock(run.blockType) ? confusion(document.items) : null,
    targets: targetsInOrder(document.items).map((target) => ({
      path: target,
      score: scores.get(target)!,
      prior_score: priorTargets.get(target) ?? null,
      value: targetValue(run.blockType, itemsOf(document, target)),
    })),
  };
}

/** Every target of the run, in first-seen order. */
export function runTargets(run: ScoredRun): string[] {
  return targetsInOrder(allItems(run));
}

export function byTarget(run: ScoredRun, prior: ScoredRun | null, runId: string, target: string): ByTargetMetrics {
  const items = allItems(run);
  const runScores = targetScores(items);
  const priorScores = prior ? targetScores(allItems(prior)) : new Map<string, number>();
  const documents = run.documents
    .filter((document) => itemsOf(document, target).length > 0)
    .map((document) => {
      const priorDocument = findDocument(prior, document.id);
      return {
        id: document.id,
        filename: document.filename,
        score: targetScores(itemsOf(document, target)).get(target)!,
        prior_score: priorDocument ? (targetScores(itemsOf(priorDocument, target)).get(target) ?? null) : null,
        value: targetValue(run.blockType, itemsOf(document, target)),
      };
    });
  return {
    run_id: runId,
    kind: 'by_target',
    view: 'by_target',
    target,
    score: runScores.get(target) ?? null,
    prior_score: priorScores.get(target) ?? null,
    confusion: isConfusionBlock(run.blockType) ? targetConfusion(confusion(items), target) : null,
    documents,
  };
}

function voteRow(item: VotedItem): VoteRow {
  return {
    path: item.path,
    consensus: item.consensus,
    votes: item.votes,
    score: item.score,
    row_presence_score: item.present / item.votes.length,
    present_voter_count: item.present,
    total_voter_count: item.votes.length,
  };
}

/** True when `path` is `target` or lies under it (`items` selects `items.0.price`). */
function isUnder(path: string, target: string): boolean {
  return path === target || path.startsWith(`${target}.`);
}

/**
 * The vote matrix of one document: every item under `target` (extract: a path or a prefix;
 * confusion blocks: a label, selecting the items whose consensus it is), or every item when `target` is empty.
 */
export function votes(run: ScoredRun, prior: ScoredRun | null, runId: string, document: ScoredDocument, target: string): VotesMetrics {
  const selected = (candidate: ScoredDocument) =>
    target === '' ? candidate.items : isConfusionBlock(run.blockType) ? itemsOf(candidate, target) : candidate.items.filter((item) => isUnder(item.path, target));
  const items = selected(document);
  const priorDocument = findDocument(prior, document.id);
  const priorItems = priorDocument ? selected(priorDocument) : [];
  return {
    run_id: runId,
    kind: 'votes',
    view: 'votes',
    document: { id: document.id, filename: document.filename },
    target,
    score: mean(items.map((item) => item.score)),
    prior_score: mean(priorItems.map((item) => item.score)),
    rows: items.map(voteRow),
  };
}
