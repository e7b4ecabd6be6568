/** Responses counted per fixed time bucket, for the throughput-over-time chart. */
export class Timeline {
  /** Width of one bucket in ms. */
  readonly bucketMs: number;
  readonly counts: number[] = [];
  #origin = 0;

  constructor(bucketMs = 100) {
    this.bucketMs = bucketMs;
  }

  /** Sets time zero (a `performance.now()` reading). */
  start(now: number): void {
    this.#origin = now;
  }

  /** Counts one response at `now` (a `performance.now()` reading). */
  record(now: number): void {
    const index = Math.max(0, Math.floor((now - this.#origin) / this.bucketMs));
    while (this.counts.length <= index) this.counts.push(0);
    this.counts[index]! += 1;
  }

  /** Responses per second in each bucket. */
  ratePerSecond(): number[] {
    return this.counts.map((count) => (count * 1000) / this.bucketMs);
  }
}
