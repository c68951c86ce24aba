import type { StartedResultFilter } from '../services/test-results.js';
import { formField } from './context.js';

/** What the run page's filter shows: `show` (which results) and `q` (a part of the test name, plain text). */
export const RESULT_VIEWS = ['all', 'failed', 'blocked', 'new_failures'] as const;
export type ResultView = (typeof RESULT_VIEWS)[number];

/** A longer search is cut: test names are matched as plain text, and no one types more. */
export const SEARCH_MAX_CHARS = 100;

export interface ResultFilter {
  show: ResultView;
  search: string;
}

/** The filter of a run page's query string; anything unknown reads as "all", a long search is cut. */
export function parseResultFilter(query: unknown): ResultFilter {
  const show = formField(query, 'show');
  return {
    show: (RESULT_VIEWS as readonly string[]).includes(show) ? (show as ResultView) : 'all',
    search: formField(query, 'q').trim().slice(0, SEARCH_MAX_CHARS),
  };
}

export const isFiltered = (filter: ResultFilter) => filter.show !== 'all' || filter.search !== '';

/** `?show=failed&q=total`, or '' for the whole list: the same filter for the page and its event stream. */
export function filterQuery(filter: ResultFilter): string {
  const query = new URLSearchParams();
  if (filter.show !== 'all') query.set('show', filter.show);
  if (filter.search) query.set('q', filter.search);
  const text = query.toString();
  return text ? `?${text}` : '';
}

const OUTCOMES: Record<ResultView, StartedResultFilter['outcome']> = { all: undefined, failed: 'failed', blocked: 'blocked', new_failures: 'new_failure' };

/** The store's filter; new failures need the run's base (without one there are none). */
export function storeFilter(filter: ResultFilter, baseRunId: string | null): StartedResultFilter {
  return { outcome: OUTCOMES[filter.show], baseRunId, nameContains: filter.search || undefined };
}
