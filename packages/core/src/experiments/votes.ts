import { canonicalJson } from '../canonical.js';
import type { ExperimentBlockType } from '../schemas/experiments.js';

/**
 * How the n_consensus votes of one document are reconciled into items (docs/experiments.md §2):
 * an extract vote is split into its leaf paths, a classifier vote is one label, a split vote
 * labels each page. Every item has one value per voter, a consensus and an agreement share.
 */

/** The stored votes of one scored document of a run. */
export interface DocumentVotes {
  id: string;
  filename: string;
  /** One entry per voter, in voter order: the extracted JSON, the chosen label, or the list of splits. */
  votes: unknown[];
  /** Split only: the document's page count, so that a page no voter assigned still counts. */
  pageCount?: number | null;
}

/** One reconciled item of a document: a leaf path (extract), the document (classifier) or a page (split). */
export interface VotedItem {
  /** `total`, `items.0.price`; `category` for a classifier; `page.3` for a split. */
  path: string;
  /** What the item is scored under in the target views: the path (extract) or the consensus label. */
  target: string;
  /** One value per voter (null where the voter gave none). */
  votes: unknown[];
  consensus: unknown;
  /** Share of voters whose normalised value equals the consensus's. */
  score: number;
  /** Voters that gave a value (not null, not absent). */
  present: number;
}

/** A page no split voter assigned to a subdocument. */
export const UNASSIGNED_LABEL = '(none)';

/**
 * The key two values are compared by: strings trimmed, inner whitespace collapsed, NFKC, lower
 * case; numbers by value (1 and 1.0 are one number); objects and arrays by canonical JSON;
 * absent and null are both "no value".
 */
export function normalizedKey(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return 's:' + value.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
  if (typeof value === 'number') return 'n:' + String(value);
  return canonicalJson(value);
}

/**
 * The majority of `votes` by normalised key; a tie goes to the value whose first vote came
 * earliest. The consensus is that first vote's value as given.
 */
export function consensusOf(votes: unknown[]): { consensus: unknown; agreeing: number } {
  const tally = new Map<string, { first: unknown; count: number }>();
  for (const vote of votes) {
    const key = normalizedKey(vote);
    const entry = tally.get(key);
    if (entry) entry.count++;
    else tally.set(key, { first: vote ?? null, count: 1 });
  }
  let best = { first: null as unknown, count: 0 };
  for (const entry of tally.values()) if (entry.count > best.count) best = entry;
  return { consensus: best.first, agreeing: best.count };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every leaf of a JSON value by dotted path (array items by index); an empty object or array is a leaf. */
export function leaves(value: unknown, prefix = '', into = new Map<string, unknown>()): Map<string, unknown> {
  const children = isPlainObject(value) ? Object.entries(value) : Array.isArray(value) ? value.map((item, index) => [String(index), item] as const) : null;
  if (children === null || children.length === 0) {
    if (prefix !== '') into.set(prefix, value);
    return into;
  }
  for (const [key, child] of children) leaves(child, prefix === '' ? key : `${prefix}.${key}`, into);
  return into;
}

function item(path: string, votes: unknown[], target: (consensus: unknown) => string): VotedItem {
  const { consensus, agreeing } = consensusOf(votes);
  const present = votes.filter((vote) => vote !== null && vote !== undefined).length;
  return { path, target: target(consensus), votes: votes.map((vote) => vote ?? null), consensus, score: agreeing / votes.length, present };
}

/**
 * The most leaf paths scored per document: votes are bounded in bytes by the model client, not in
 * leaves, and the metrics are computed on request. Paths past it (in first-seen order) are not scored.
 */
export const MAX_SCORED_PATHS = 2000;

function extractItems(votes: unknown[]): VotedItem[] {
  const perVoter = votes.map((vote) => leaves(vote));
  const paths = [...new Set(perVoter.flatMap((paths) => [...paths.keys()]))].slice(0, MAX_SCORED_PATHS);
  return paths.map((path) => item(path, perVoter.map((paths) => paths.get(path) ?? null), () => path));
}

export function labelOf(vote: unknown): string {
  if (vote === null || vote === undefined) return UNASSIGNED_LABEL;
  return typeof vote === 'string' ? vote : canonicalJson(vote);
}

/** Each page's label in one split vote: the first subdocument listing it, else UNASSIGNED_LABEL. */
function pageLabels(vote: unknown, pageCount: number): string[] {
  const labels = Array.from({ length: pageCount }, () => UNASSIGNED_LABEL);
  const entries = Array.isArray(vote) ? vote : [];
  for (const entry of entries as Array<{ name?: unknown; pages?: unknown }>) {
    for (const page of Array.isArray(entry?.pages) ? entry.pages : []) {
      if (Number.isInteger(page) && page >= 1 && page <= pageCount && labels[page - 1] === UNASSIGNED_LABEL) labels[page - 1] = labelOf(entry.name);
    }
  }
  return labels;
}

function highestPage(votes: unknown[]): number {
  let highest = 0;
  for (const vote of votes) {
    for (const entry of (Array.isArray(vote) ? vote : []) as Array<{ pages?: unknown }>) {
      for (const page of Array.isArray(entry?.pages) ? entry.pages : []) if (Number.isInteger(page)) highest = Math.max(highest, page);
    }
  }
  return highest;
}

function splitItems(votes: unknown[], pageCount: number | null | undefined): VotedItem[] {
  const pages = pageCount ?? highestPage(votes);
  const labels = votes.map((vote) => pageLabels(vote, pages));
  return Array.from({ length: pages }, (_, page) => item(`page.${page + 1}`, labels.map((perPage) => perPage[page]), labelOf));
}

/** A document's votes as reconciled items, in a stable order (first voter's paths first; pages ascending). */
export function votedItems(blockType: ExperimentBlockType, document: DocumentVotes): VotedItem[] {
  if (document.votes.length === 0) return [];
  switch (blockType) {
    case 'classifier':
      return [item('category', document.votes.map(labelOf), labelOf)];
    case 'split':
      return splitItems(document.votes, document.pageCount);
    default:
      return extractItems(document.votes);
  }
}

/** The arithmetic mean; null for no values. */
export function mean(values: number[]): number | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}
