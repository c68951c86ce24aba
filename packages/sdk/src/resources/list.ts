import { Page, PagePromise, type PageBody } from '../pagination.js';
import type { Query, RequestOptions, Transport } from '../transport.js';

/** A GET list whose following pages repeat the same query with `after` set and `before` dropped. */
export function listPages<T>(transport: Transport, path: string, query: Query, options?: RequestOptions): PagePromise<T> {
  const load = async (pageQuery: Query): Promise<Page<T>> => {
    const body = await transport.request<PageBody<T>>({ method: 'GET', path, query: pageQuery }, options);
    return new Page(body, (after) => load({ ...query, before: undefined, after }));
  };
  return new PagePromise(() => load(query));
}

export const segment = (id: string): string => encodeURIComponent(id);
