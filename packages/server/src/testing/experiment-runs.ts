import type { TestApp } from './harness.js';

/** Polls an experiment run until it is terminal and returns it. */
export async function waitForExperimentRun(app: TestApp, runId: string, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await app.request('GET', `/v1/workflows/experiments/runs/${runId}`);
    if (['completed', 'error', 'cancelled'].includes(body.lifecycle.status)) return body;
    if (Date.now() > deadline) throw new Error(`experiment run ${runId} still ${body.lifecycle.status}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
