/**
 * The bench's arguments for a small, quick row in tests: one scenario, 1,000 keys, one client
 * thread, no warm-up, 2 shards. Each test adds its connections, depth and servers.
 */
import { parseBenchArgs } from '../../bench/args.js';

export function smallBenchArgs(extra: string[]) {
  return parseBenchArgs([
    '--single',
    '--keys',
    '1000',
    '-t',
    '1',
    '--warmup',
    '0',
    '--shards',
    '2',
    ...extra,
  ]);
}
