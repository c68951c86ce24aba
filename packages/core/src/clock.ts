/** The one clock: ISO-8601 UTC with milliseconds and `Z`; lexicographic order is time order. */
export function isoNow(): string {
  return new Date().toISOString();
}

export function millisBetween(startIso: string | null, endIso: string | null): number | null {
  if (!startIso || !endIso) return null;
  return Math.max(0, Date.parse(endIso) - Date.parse(startIso));
}
