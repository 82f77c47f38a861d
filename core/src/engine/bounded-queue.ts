/**
 * A bounded async queue between the reader and the writer: `push` waits while the queue is full,
 * which is what bounds memory by batch size instead of table size.
 */
export class BoundedQueue<T> {
  private readonly items: T[] = [];
  private readonly waitingTakers: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void }[] = [];
  private readonly waitingPushers: (() => void)[] = [];
  private closed = false;
  private failure: unknown;

  constructor(private readonly capacity: number) {}

  async push(item: T): Promise<void> {
    while (this.items.length >= this.capacity && !this.closed) {
      await new Promise<void>((resolve) => this.waitingPushers.push(resolve));
    }
    if (this.closed) return;
    const taker = this.waitingTakers.shift();
    if (taker) taker.resolve({ value: item, done: false });
    else this.items.push(item);
  }

  /** No more items; takers drain what is queued, then finish. A failure makes the taker throw. */
  close(failure?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.failure = failure;
    for (const taker of this.waitingTakers.splice(0)) {
      if (failure !== undefined) taker.reject(failure);
      else taker.resolve({ value: undefined, done: true });
    }
    for (const pusher of this.waitingPushers.splice(0)) pusher();
  }

  async take(): Promise<IteratorResult<T>> {
    const item = this.items.shift();
    if (item !== undefined) {
      this.waitingPushers.shift()?.();
      return { value: item, done: false };
    }
    if (this.closed) {
      if (this.failure !== undefined) throw this.failure;
      return { value: undefined, done: true };
    }
    return new Promise((resolve, reject) => this.waitingTakers.push({ resolve, reject }));
  }

  get size(): number {
    return this.items.length;
  }
}
