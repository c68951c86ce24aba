/**
 * Which workflow runs of this process execute now (VERDICT_MAX_RUNNING_WORKFLOW_RUNS): at most
 * `limit` at once; the rest wait, in their organization's line, as `pending` runs. A free place
 * goes to the organization with the fewest runs executing, ties to the one that was served least
 * recently, so a tenant with thousands of runs waiting delays another tenant's run by at most one
 * run finishing, never by its whole line. A waiting run costs its id and nothing else.
 */
export class RunAdmission {
  private readonly executing = new Map<string, number>();
  /** Organization → its runs waiting, oldest first. Map order is the round-robin order: an organization served moves to the end. */
  private readonly lines = new Map<string, string[]>();
  private readonly organizationOf = new Map<string, string>();
  private running = 0;

  constructor(
    private readonly limit: number,
    /** Starts executing an admitted run; it must call `finished` when the run's execution ends. */
    private readonly begin: (runId: string, organizationId: string) => void,
  ) {}

  get waiting(): number {
    return this.organizationOf.size;
  }

  /** Queues the run (once) and admits what fits. */
  submit(runId: string, organizationId: string): void {
    if (this.organizationOf.has(runId)) return;
    this.organizationOf.set(runId, organizationId);
    const line = this.lines.get(organizationId);
    if (line) line.push(runId);
    else this.lines.set(organizationId, [runId]);
    this.admit();
  }

  /** Takes a waiting run out of its line (cancelled before it started); false when it was not waiting. */
  withdraw(runId: string): boolean {
    const organizationId = this.organizationOf.get(runId);
    if (organizationId === undefined) return false;
    this.organizationOf.delete(runId);
    const line = this.lines.get(organizationId)!;
    line.splice(line.indexOf(runId), 1);
    if (line.length === 0) this.lines.delete(organizationId);
    return true;
  }

  /** An admitted run's execution ended: its place goes to the next run. */
  finished(organizationId: string): void {
    this.running -= 1;
    const count = (this.executing.get(organizationId) ?? 1) - 1;
    if (count === 0) this.executing.delete(organizationId);
    else this.executing.set(organizationId, count);
    this.admit();
  }

  /** Drops every waiting run (the process stops: they stay live in the store and resume at the next start). */
  clear(): void {
    this.lines.clear();
    this.organizationOf.clear();
  }

  private admit(): void {
    while (this.running < this.limit && this.lines.size > 0) {
      const organizationId = this.nextOrganization();
      const line = this.lines.get(organizationId)!;
      const runId = line.shift()!;
      this.organizationOf.delete(runId);
      // Served: to the end of the round-robin order (or out of it when its line is empty).
      this.lines.delete(organizationId);
      if (line.length > 0) this.lines.set(organizationId, line);
      this.running += 1;
      this.executing.set(organizationId, (this.executing.get(organizationId) ?? 0) + 1);
      this.begin(runId, organizationId);
    }
  }

  /** The organization with the fewest runs executing; among equals, the first in round-robin order. */
  private nextOrganization(): string {
    let best: string | null = null;
    let bestCount = Infinity;
    for (const organizationId of this.lines.keys()) {
      const count = this.executing.get(organizationId) ?? 0;
      if (count < bestCount) {
        best = organizationId;
        bestCount = count;
        if (count === 0) break;
      }
    }
    return best!;
  }
}
