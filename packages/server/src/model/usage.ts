/** Tokens a provider reported for chat completions, as OpenAI-compatible servers name them. */
export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export const NO_TOKENS: TokenUsage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}

/** A completion's `usage` as reported (a server that reports none, or part of it, counts 0 for what is missing). */
export function tokenUsageOf(reported: unknown): TokenUsage {
  const usage = typeof reported === 'object' && reported !== null ? (reported as Record<string, unknown>) : {};
  const prompt = count(usage.prompt_tokens);
  const completion = count(usage.completion_tokens);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: count(usage.total_tokens) || prompt + completion };
}

export function addTokenUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return { prompt_tokens: a.prompt_tokens + b.prompt_tokens, completion_tokens: a.completion_tokens + b.completion_tokens, total_tokens: a.total_tokens + b.total_tokens };
}
