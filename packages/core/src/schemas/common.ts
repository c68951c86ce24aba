import { z } from 'zod';
import { LIFECYCLE_STATUSES, VERDICTS } from '../lifecycle.js';

export const Timestamp = z.string().meta({ description: 'ISO-8601 UTC timestamp ending in Z', format: 'date-time' });
export const NullableTimestamp = Timestamp.nullable();

export const LifecycleStatusSchema = z.enum(LIFECYCLE_STATUSES);
export const VerdictSchema = z.enum(VERDICTS);
export const SortOrder = z.enum(['asc', 'desc']);

export const ListMetadata = z.object({ before: z.string().nullable(), after: z.string().nullable() }).meta({ id: 'ListMetadata' });
export type ListMetadata = z.infer<typeof ListMetadata>;

export function paginated<T extends z.ZodType>(item: T, id: string) {
  return z.object({ data: z.array(item), list_metadata: ListMetadata }).meta({ id });
}

export interface Page<T> {
  data: T[];
  list_metadata: ListMetadata;
}

/** `limit`, `order`, `before`, `after` of docs/decisions.md §5; `before` with `after` is refused. */
export function paginationQuery(defaultLimit: number) {
  return z.object({
    limit: z.coerce.number().int().min(1).max(100).default(defaultLimit),
    order: SortOrder.default('desc'),
    before: z.string().min(1).optional(),
    after: z.string().min(1).optional(),
  });
}

export const refineCursors = <T extends { before?: string; after?: string }>(value: T, ctx: z.RefinementCtx) => {
  if (value.before !== undefined && value.after !== undefined) {
    ctx.addIssue({ code: 'custom', message: 'Pass either `before` or `after`, not both.', path: ['before'] });
  }
};

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2}))?$/i;

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

/** Every field in range: JavaScript's own date parser rolls `2020-02-30` over to March 1st instead of refusing it. */
function isRealDate(fields: (string | undefined)[]): boolean {
  const [year, month, day, hour = 0, minute = 0, second = 0, offsetHours = 0, offsetMinutes = 0] = fields.map((field) => (field === undefined ? undefined : Number(field)));
  return month! >= 1 && month! <= 12 && day! >= 1 && day! <= daysInMonth(year!, month!) && hour <= 23 && minute <= 59 && second <= 59 && offsetHours <= 23 && offsetMinutes <= 59;
}

/** The instant a date filter stands for, or null when the text is not a real date or datetime. */
export function dateFilterInstant(text: string, edge: 'start' | 'end'): string | null {
  const date = DATE_ONLY.exec(text);
  if (date) return isRealDate(date.slice(1)) ? `${text}T${edge === 'start' ? '00:00:00.000' : '23:59:59.999'}Z` : null;
  const dateTime = DATE_TIME.exec(text);
  if (!dateTime || !isRealDate(dateTime.slice(1))) return null;
  const parsed = Date.parse(text.replace(' ', 'T'));
  return Number.isNaN(parsed) ? null : new Date(parsed).toISOString();
}

/**
 * A list filter on a date, inclusive: `YYYY-MM-DD` (the whole day, UTC) or an ISO-8601 datetime (a
 * space instead of `T`, as Python's str(datetime) sends, is accepted). Parsed to an ISO instant.
 */
export function dateFilter(edge: 'start' | 'end') {
  return z
    .string()
    .transform((value, ctx) => {
      const instant = dateFilterInstant(value.trim(), edge);
      if (instant === null) {
        ctx.addIssue({ code: 'custom', message: 'Use a real date (YYYY-MM-DD) or an ISO-8601 datetime, e.g. 2026-05-01 or 2026-05-01T12:00:00Z.' });
        return z.NEVER;
      }
      return instant;
    })
    .optional();
}

export const ErrorDetails = z
  .object({
    message: z.string().nullable().optional(),
    stack_trace: z.string().nullable().optional(),
    block_id: z.string().nullable().optional(),
    block_name: z.string().nullable().optional(),
    error_code: z.string().nullable().optional(),
    context: z.record(z.string(), z.unknown()).nullable().optional(),
  })
  .meta({ id: 'ErrorDetails' });
export type ErrorDetails = z.infer<typeof ErrorDetails>;

export const Lifecycle = z
  .discriminatedUnion('status', [
    z.object({ status: z.literal('pending') }),
    z.object({ status: z.literal('queued') }),
    z.object({ status: z.literal('running') }),
    z.object({ status: z.literal('completed') }),
    z.object({ status: z.literal('error'), message: z.string(), details: ErrorDetails.nullable().optional() }),
    z.object({ status: z.literal('cancelled'), reason: z.string().nullable() }),
  ])
  .meta({ id: 'WorkflowTestRunLifecycle' });
export type Lifecycle = z.infer<typeof Lifecycle>;

export const Timing = z
  .object({
    created_at: NullableTimestamp,
    started_at: NullableTimestamp,
    completed_at: NullableTimestamp,
    duration_ms: z.number().int().nullable(),
  })
  .meta({ id: 'WorkflowTestRunTiming' });
export type Timing = z.infer<typeof Timing>;

/** The error envelope of docs/decisions.md §2. */
export const ErrorEnvelope = z
  .object({
    detail: z.object({
      code: z.string(),
      message: z.string(),
      details: z.record(z.string(), z.unknown()),
    }),
  })
  .meta({ id: 'ErrorEnvelope' });
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;

/** The answer of a delete: 204 and no body. Declared so that the OpenAPI document says 204, as the server answers. */
export const NoContent = z.null().meta({ description: 'Deleted: no content.' });
