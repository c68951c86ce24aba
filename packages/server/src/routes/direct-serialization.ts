/**
 * Route options for the answers clients poll and page through (a run, a page of results): they
 * are written with JSON.stringify instead of being encoded through their zod response schema
 * first. Each is built field by field by one mapper (runFromRow, resultFromRow), and the encoding
 * cost more than a third of a results page's CPU (docs/benchmarks.md, "Read API"). The schema still
 * types the route and documents it (OpenAPI); `direct-serialization.test.ts` checks that real
 * answers of these routes pass through their schema unchanged, so a mapper that emitted a field the
 * schema would strip, default or reject would fail there.
 */
export const directSerialization = {
  serializerCompiler: () => (data: unknown) => JSON.stringify(data),
} as const;
