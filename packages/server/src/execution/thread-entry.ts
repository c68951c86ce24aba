/**
 * The script of a worker thread whose module `name` sits beside `moduleUrl` (the caller's
 * import.meta.url). Built, that is `name.js`. Run from source (tests under tsx), the thread loads
 * `name.ts` through tsx's loader registered inside it: `--import tsx` does not reach a worker's
 * entry module on Node 20.
 */
export function threadEntry(moduleUrl: string, name: string): { script: URL | string; evaluate: boolean } {
  if (!moduleUrl.endsWith('.ts')) return { script: new URL(`./${name}.js`, moduleUrl), evaluate: false };
  const source = JSON.stringify(new URL(`./${name}.ts`, moduleUrl).href);
  return { script: `import('tsx/esm/api').then(({ register }) => { register(); return import(${source}); })`, evaluate: true };
}

/**
 * V8's young generation of a helper thread (sandbox, transition thread). Their objects are few and
 * short-lived; each isolate would otherwise size its young generation from the process's
 * `--max-semi-space-size`, which is set for the main thread's allocation rate.
 */
export const HELPER_THREAD_YOUNG_GENERATION_MB = 6;

/**
 * How long a helper thread must have run nothing before a graceful stop terminates it. Node 20
 * unregisters a stopping worker's isolate before disposing of it, and an optimizing compile of that
 * thread's code still running on one of V8's background threads in between aborts the whole process
 * (`NodePlatform::ForIsolate`, "Assertion failed: (data.first) != nullptr"). Those compiles follow
 * the thread's recent work and take milliseconds; a thread stopped mid-job (a stuck sandbox) cannot wait.
 */
export const QUIET_BEFORE_TERMINATE_MS = 100;

/** Resolves once QUIET_BEFORE_TERMINATE_MS have passed since `lastActiveAt` (performance.now()). */
export function quietSince(lastActiveAt: number): Promise<void> {
  const remainingMs = lastActiveAt + QUIET_BEFORE_TERMINATE_MS - performance.now();
  return remainingMs > 0 ? new Promise((resolve) => setTimeout(resolve, remainingMs)) : Promise.resolve();
}
