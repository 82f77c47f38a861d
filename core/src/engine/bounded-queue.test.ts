import { describe, it, expect } from "vitest";
import { BoundedQueue } from "./bounded-queue.js";

/** Lets every pending promise callback run (no timers involved). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe("BoundedQueue", () => {
  it("delivers items in order", async () => {
    const queue = new BoundedQueue<number>(3);
    await queue.push(1);
    await queue.push(2);
    expect(queue.size).toBe(2);
    expect(await queue.take()).toEqual({ value: 1, done: false });
    expect(await queue.take()).toEqual({ value: 2, done: false });
    expect(queue.size).toBe(0);
  });

  it("push waits while the queue is full (backpressure) and resumes when a taker makes room", async () => {
    const queue = new BoundedQueue<string>(2);
    await queue.push("a");
    await queue.push("b");
    let pushed = false;
    const third = queue.push("c").then(() => (pushed = true));
    await settle();
    expect(pushed).toBe(false);
    expect(queue.size).toBe(2);
    expect((await queue.take()).value).toBe("a");
    await third;
    expect(pushed).toBe(true);
    expect(queue.size).toBe(2);
    expect([(await queue.take()).value, (await queue.take()).value]).toEqual(["b", "c"]);
  });

  it("never holds more than its capacity however fast the producer is", async () => {
    const queue = new BoundedQueue<number>(2);
    let maxSize = 0;
    const producer = (async () => {
      for (let i = 0; i < 50; i++) {
        await queue.push(i);
        maxSize = Math.max(maxSize, queue.size);
      }
      queue.close();
    })();
    const received: number[] = [];
    for (let next = await queue.take(); !next.done; next = await queue.take()) {
      received.push(next.value);
      await settle();
    }
    await producer;
    expect(received).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(maxSize).toBeLessThanOrEqual(2);
  });

  it("a take waiting on an empty queue gets the next push directly", async () => {
    const queue = new BoundedQueue<string>(1);
    const waiting = queue.take();
    await settle();
    await queue.push("x");
    expect(await waiting).toEqual({ value: "x", done: false });
    expect(queue.size).toBe(0);
  });

  it("close() lets takers drain what is queued, then reports done", async () => {
    const queue = new BoundedQueue<number>(4);
    await queue.push(1);
    await queue.push(2);
    queue.close();
    expect(await queue.take()).toEqual({ value: 1, done: false });
    expect(await queue.take()).toEqual({ value: 2, done: false });
    expect((await queue.take()).done).toBe(true);
    expect((await queue.take()).done).toBe(true);
  });

  it("close() ends waiting takers and releases blocked pushers; later pushes are dropped", async () => {
    const queue = new BoundedQueue<number>(1);
    const taker = new BoundedQueue<number>(1);
    const waiting = taker.take();
    taker.close();
    expect((await waiting).done).toBe(true);

    await queue.push(1);
    const blocked = queue.push(2);
    queue.close();
    await blocked;
    await queue.push(3);
    expect(queue.size).toBe(1);
    expect((await queue.take()).value).toBe(1);
    expect((await queue.take()).done).toBe(true);
  });

  it("close(failure) rejects waiting takers, and later takers after draining, with that failure", async () => {
    const failure = new Error("reader failed: connection reset");
    const empty = new BoundedQueue<number>(2);
    const waiting = empty.take();
    empty.close(failure);
    await expect(waiting).rejects.toBe(failure);

    const queue = new BoundedQueue<number>(2);
    await queue.push(7);
    queue.close(failure);
    queue.close(new Error("a second close is ignored"));
    expect(await queue.take()).toEqual({ value: 7, done: false });
    await expect(queue.take()).rejects.toBe(failure);
  });
});
