let formattedMillis = Number.NaN;
let formatted = '';

/**
 * The one clock: ISO-8601 UTC with milliseconds and `Z`; lexicographic order is time order.
 * Formatted once per millisecond: at thousands of tests a second, many timestamps share one.
 */
export function isoNow(): string {
  const now = Date.now();
  if (now !== formattedMillis) {
    formattedMillis = now;
    formatted = new Date(now).toISOString();
  }
  return formatted;
}

export function millisBetween(startIso: string | null, endIso: string | null): number | null {
  if (!startIso || !endIso) return null;
  return Math.max(0, Date.parse(endIso) - Date.parse(startIso));
}
