/**
 * What the model-backed condition kinds (`llm_judged_as`, `llm_not_judged_as`, `similarity_gte`
 * with `embeddings`) need from a model server. The engine stays pure: the server injects an
 * implementation; without one those kinds are `blocked` / `provider_not_configured`.
 */
export interface JudgeRequest {
  rubric: string;
  /** The value under assertion, as found at the target path. */
  value: unknown;
  /** When the condition names an `expected_label`, the judge picks a label; otherwise it answers yes/no. */
  expectedLabel: string | null;
  signal?: AbortSignal;
}

export interface JudgeVerdict {
  /** The label the judge chose (`"yes"`/`"no"` when no label was asked for). */
  label: string;
  /** The judge's explanation, kept in the assertion result. */
  reason: string;
  /** Confidence in [0, 1] when the provider reports one. */
  confidence: number | null;
}

export interface AssertionModelProvider {
  judge(request: JudgeRequest): Promise<JudgeVerdict>;
  embed(texts: string[], signal?: AbortSignal): Promise<number[][]>;
}
