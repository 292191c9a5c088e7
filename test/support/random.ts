/** A small seeded generator (mulberry32) so a failing random test can be replayed by seed: the
 * bench's, so tests and the eviction bench draw from one implementation. */
export { seededRandom } from '../../bench/eviction/zipf-trace.js';

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}
