/**
 * Latency histograms: one per client thread, recorded in whole microseconds, shipped to the
 * main thread in HdrHistogram's compressed form and merged there. Every histogram in the bench
 * comes from here so they all share one range and precision (a merge needs that).
 */
import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  type Histogram,
} from 'hdr-histogram-js';

/** One minute: anything slower than that is a hang, not a latency. */
const LATENCY_US_MAX = 60_000_000;

export function createLatencyHistogram(): Histogram {
  return build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: LATENCY_US_MAX,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

export function encodeHistogram(histogram: Histogram): string {
  return encodeIntoCompressedBase64(histogram);
}

export function mergeHistograms(encoded: readonly string[]): Histogram {
  const merged = createLatencyHistogram();
  for (const text of encoded) merged.add(decodeFromCompressedBase64(text, 32, false));
  return merged;
}

export interface LatencySummaryUs {
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export function summarizeLatency(histogram: Histogram): LatencySummaryUs {
  return {
    p50: histogram.getValueAtPercentile(50),
    p99: histogram.getValueAtPercentile(99),
    p999: histogram.getValueAtPercentile(99.9),
    max: histogram.maxValue,
    mean: Math.round(histogram.mean * 10) / 10,
  };
}
