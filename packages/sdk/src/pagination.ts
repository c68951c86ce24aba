import type { ListMetadata } from '@verdict/core';

export interface PageBody<T> {
  data: T[];
  list_metadata: ListMetadata;
}

/** Loads the page that follows the cursor `after`, with the rest of the original query unchanged. */
export type PageLoader<T> = (after: string) => Promise<Page<T>>;

/**
 * One page of a list, plus the way to the next ones. Iterating it with `for await` walks every
 * item of this page and of all the following pages.
 */
export class Page<T> implements AsyncIterable<T> {
  readonly data: T[];
  readonly list_metadata: ListMetadata;
  readonly #loadAfter: PageLoader<T>;

  constructor(body: PageBody<T>, loadAfter: PageLoader<T>) {
    // A malformed answer reads as one empty, final page rather than crashing the iteration.
    this.data = Array.isArray(body?.data) ? body.data : [];
    this.list_metadata = body?.list_metadata ?? { before: null, after: null };
    this.#loadAfter = loadAfter;
  }

  hasMore(): boolean {
    return this.list_metadata.after != null;
  }

  /** The next page, or null on the last one. */
  async nextPage(): Promise<Page<T> | null> {
    const after = this.list_metadata.after;
    return after == null ? null : this.#loadAfter(after);
  }

  /** Every page from this one on. Stops on a null cursor, an empty page, or a cursor seen before. */
  async *pages(): AsyncGenerator<Page<T>> {
    const seenCursors = new Set<string>();
    let page: Page<T> | null = this;
    while (page) {
      yield page;
      const cursor = page.list_metadata.after;
      if (cursor == null || page.data.length === 0 || seenCursors.has(cursor)) return;
      seenCursors.add(cursor);
      page = await page.nextPage();
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for await (const page of this.pages()) yield* page.data;
  }

  toJSON(): PageBody<T> {
    return { data: this.data, list_metadata: this.list_metadata };
  }
}

/**
 * What list methods return: await it for the first page, or `for await` it directly for every
 * item. The request starts on first use, so an unused list never produces an unhandled rejection.
 */
export class PagePromise<T> implements PromiseLike<Page<T>>, AsyncIterable<T> {
  #page: Promise<Page<T>> | undefined;
  readonly #load: () => Promise<Page<T>>;

  constructor(load: () => Promise<Page<T>>) {
    this.#load = load;
  }

  #firstPage(): Promise<Page<T>> {
    this.#page ??= this.#load();
    return this.#page;
  }

  then<R1 = Page<T>, R2 = never>(
    onFulfilled?: ((page: Page<T>) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#firstPage().then(onFulfilled, onRejected);
  }

  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<Page<T> | R> {
    return this.#firstPage().catch(onRejected);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    yield* await this.#firstPage();
  }
}
