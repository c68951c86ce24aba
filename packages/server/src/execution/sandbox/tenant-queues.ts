import type { JobTicket } from './job-ticket.js';

/** What the queues need of a job: whose it is, its order, and when it was submitted (performance.now()). */
export interface QueuedJob {
  readonly tenant: string;
  readonly jobId: number;
  readonly queuedAt: number;
}

/**
 * The pool's jobs not handed to a thread yet: one FIFO per tenant, so that one tenant's backlog
 * never stands in front of another tenant's job. Tenants are kept in the order they were last
 * served (least recently served first), which breaks ties when the pool picks whom to serve next.
 */
export class TenantQueues<Ticket extends QueuedJob = JobTicket> {
  readonly #queues = new Map<string, Ticket[]>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Tenants with jobs queued, least recently served first. */
  tenants(): IterableIterator<string> {
    return this.#queues.keys();
  }

  count(tenant: string): number {
    return this.#queues.get(tenant)?.length ?? 0;
  }

  /** When the oldest job of the tenant was submitted (performance.now()); undefined if none is queued. */
  oldestQueuedAt(tenant: string): number | undefined {
    return this.#queues.get(tenant)?.[0]?.queuedAt;
  }

  push(ticket: Ticket): void {
    const queue = this.#queues.get(ticket.tenant);
    if (queue) queue.push(ticket);
    else this.#queues.set(ticket.tenant, [ticket]);
    this.#size++;
  }

  /** Jobs taken back from threads go in front of their tenant's queue, in the order they were submitted. */
  returnToFront(tickets: Ticket[]): void {
    const byTenant = new Map<string, Ticket[]>();
    for (const ticket of tickets) {
      const returning = byTenant.get(ticket.tenant);
      if (returning) returning.push(ticket);
      else byTenant.set(ticket.tenant, [ticket]);
    }
    for (const [tenant, returning] of byTenant) {
      returning.sort((a, b) => a.jobId - b.jobId);
      const queue = this.#queues.get(tenant);
      if (queue) queue.unshift(...returning);
      else this.#queues.set(tenant, returning);
      this.#size += returning.length;
    }
  }

  /** Up to `limit` of the tenant's oldest jobs; the tenant becomes the most recently served. */
  take(tenant: string, limit: number): Ticket[] {
    const queue = this.#queues.get(tenant);
    if (!queue) return [];
    const taken = queue.splice(0, limit);
    this.#size -= taken.length;
    this.#queues.delete(tenant);
    if (queue.length > 0) this.#queues.set(tenant, queue);
    return taken;
  }

  /** False if the ticket was not queued. */
  remove(ticket: Ticket): boolean {
    const queue = this.#queues.get(ticket.tenant);
    const index = queue?.indexOf(ticket) ?? -1;
    if (index < 0) return false;
    queue!.splice(index, 1);
    this.#size--;
    if (queue!.length === 0) this.#queues.delete(ticket.tenant);
    return true;
  }

  /** Every queued job, for the pool to fail; the queues are empty after. */
  drain(): Ticket[] {
    const all = [...this.#queues.values()].flat();
    this.#queues.clear();
    this.#size = 0;
    return all;
  }
}
