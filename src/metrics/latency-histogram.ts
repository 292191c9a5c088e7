/**
 * A latency histogram kept in a typed array: adding observations is a short scan of the bucket
 * bounds and an increment, with no object, label or callback per observation. prom-client's
 * own Histogram would hash its labels on every observe(); this one is read only when /metrics
 * is scraped (metrics-registry.ts turns it into Prometheus's cumulative buckets then).
 */

/** Upper bounds of the buckets, in seconds (Prometheus's base unit). A reply ready in the
 * event-loop iteration its command was parsed in reads 0 (reply-meter.ts reads the clock once
 * per iteration); a shard's answer at P=16 takes tens to hundreds of microseconds; the top
 * bounds catch lock waits and a stalled shard. */
export const latencyBucketBoundsSeconds: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
  5,
];

const boundsMs = Float64Array.from(latencyBucketBoundsSeconds, (seconds) => seconds * 1000);

export class LatencyHistogram {
  /** Observations per bucket, not cumulative: `counts[i]` in (bound i-1, bound i], the last
   * one above every bound (`+Inf`). Float64: exact up to 2^53, far past any uptime. */
  readonly counts = new Float64Array(boundsMs.length + 1);
  /** Sum of every observation, in ms. */
  sumMs = 0;

  /** `count` observations of `ms` each (replies that shared one parse time and one clock
   * reading, added as one). */
  add(ms: number, count: number): void {
    let bucket = 0;
    while (bucket < boundsMs.length && ms > (boundsMs[bucket] as number)) bucket++;
    (this.counts[bucket] as number) += count;
    this.sumMs += ms * count;
  }

  /** Every observation so far. */
  get count(): number {
    let total = 0;
    for (const count of this.counts) total += count;
    return total;
  }
}
