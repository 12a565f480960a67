// A bound on concurrent password hashes: each takes 128 MiB and half a second of a core, so a
// burst of sign-ins must queue instead of exhausting memory and starving every other request.
// Waiting work is served round-robin by key (the client's address), so one address's burst
// cannot push a classroom elsewhere to the back; when the queue is full the caller gets a 429.
import { TooManyRequests } from "../platform/errors.js";

export interface HashGateLimits {
  /** Hashes computed at once. */
  concurrency: number;
  /** Hashes waiting for a free slot, over all keys. */
  queue: number;
}

export class HashGate {
  private active = 0;
  private waiting = 0;
  private readonly queues = new Map<string, (() => void)[]>();

  constructor(private readonly limits: HashGateLimits) {}

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limits.concurrency) {
      if (this.waiting >= this.limits.queue) {
        throw new TooManyRequests("The server is busy signing other people in. Wait a few seconds and try again.");
      }
      this.waiting++;
      await new Promise<void>((resolve) => {
        const q = this.queues.get(key);
        if (q) q.push(resolve);
        else this.queues.set(key, [resolve]);
      });
    } else {
      this.active++;
    }
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  /** Hands the freed slot to the oldest waiter of the key that has waited longest for a turn (Map order), or frees it. */
  private release() {
    const next = this.queues.entries().next();
    if (next.done) {
      this.active--;
      return;
    }
    const [key, q] = next.value;
    const resolve = q.shift()!;
    this.queues.delete(key);
    if (q.length) this.queues.set(key, q); // to the back of the rotation
    this.waiting--;
    resolve();
  }
}
