import { sql, type Expression, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Page } from '@verdict/core';
import { createError } from '../errors/index.js';

export interface KeysetRequest {
  limit: number;
  order: 'asc' | 'desc';
  before?: string;
  after?: string;
}

type SortValue = string | number;

/**
 * One page of a keyset-paginated list (docs/decisions.md §5): the cost of a page does not depend on its
 * position. Rows are ordered by (sortKey, id); `before`/`after` are ids of rows of the same list,
 * resolved to their sort value by `sortValueOf`.
 */
export async function keysetPage<DB, TB extends keyof DB, Row extends { id: string }>(
  query: SelectQueryBuilder<DB, TB, Row>,
  sortKey: Expression<SortValue>,
  idColumn: Expression<string>,
  request: KeysetRequest,
  sortValueOf: (id: string) => Promise<SortValue | undefined>,
): Promise<Page<Row>> {
  const cursorId = request.after ?? request.before;
  const backwards = request.before !== undefined;
  let page = query;
  if (cursorId !== undefined) {
    const cursorValue = await sortValueOf(cursorId);
    if (cursorValue === undefined) {
      throw createError('validation_error', `The cursor \`${cursorId}\` is not an item of this list; pass an id from a previous page's list_metadata.`, {
        issues: [{ path: `query.${backwards ? 'before' : 'after'}`, message: 'unknown cursor' }],
      });
    }
    const forwardIsGreater = request.order === 'asc';
    const comparison = forwardIsGreater !== backwards ? '>' : '<';
    page = page.where(sql<SqlBool>`(${sortKey}, ${idColumn}) ${sql.raw(comparison)} (${cursorValue}, ${cursorId})`) as typeof page;
  }
  const descending = (request.order === 'desc') !== backwards;
  const direction = descending ? sql`desc` : sql`asc`;
  const rows = await page
    .orderBy(sql`${sortKey} ${direction}`)
    .orderBy(sql`${idColumn} ${direction}`)
    .limit(request.limit + 1)
    .execute();
  const hasMore = rows.length > request.limit;
  const data = rows.slice(0, request.limit);
  if (backwards) data.reverse();
  const first = data[0]?.id ?? null;
  const last = data[data.length - 1]?.id ?? null;
  return {
    data,
    list_metadata: backwards
      ? { before: hasMore ? first : null, after: last }
      : { before: cursorId !== undefined ? first : null, after: hasMore ? last : null },
  };
}
