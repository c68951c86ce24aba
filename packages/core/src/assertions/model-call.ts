import { blocked, type Evaluation, type EvaluationContext } from './evaluation.js';
import type { AssertionModelProvider } from './provider.js';

export type ModelCall<T> = { ok: true; value: T } | { ok: false; evaluation: Evaluation };

/**
 * Runs one call to the injected model provider: no provider → `blocked` / `provider_not_configured`;
 * a provider error → `blocked` / `provider_error`. A cancelled run is not an assertion outcome, so
 * when the signal is aborted the abort propagates instead.
 */
export async function callModel<T>(
  context: EvaluationContext,
  kind: string,
  call: (provider: AssertionModelProvider, signal: AbortSignal | undefined) => Promise<T>,
): Promise<ModelCall<T>> {
  const { provider, signal } = context;
  if (provider === null) {
    return {
      ok: false,
      evaluation: blocked('provider_not_configured', `\`${kind}\` needs a model provider, and none is configured on this server`),
    };
  }
  signal?.throwIfAborted();
  try {
    return { ok: true, value: await call(provider, signal) };
  } catch (error) {
    signal?.throwIfAborted();
    return { ok: false, evaluation: providerError(error instanceof Error ? error.message : String(error)) };
  }
}

export function providerError(message: string): Evaluation {
  return blocked('provider_error', `the model provider failed: ${message}`);
}
