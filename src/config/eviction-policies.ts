/**
 * What a full server does (--eviction-policy, SPEC.md section 8): Redis's eight policies, under
 * Redis's names, so `CONFIG GET maxmemory-policy` and INFO read the same as on Redis.
 *
 * Shared by the main thread (which decides how many bytes to evict, and whether a write is
 * refused) and the shard threads (which choose the keys).
 */
export const evictionPolicies = [
  'noeviction',
  'allkeys-lru',
  'allkeys-lfu',
  'allkeys-random',
  'volatile-lru',
  'volatile-lfu',
  'volatile-random',
  'volatile-ttl',
] as const;
export type EvictionPolicy = (typeof evictionPolicies)[number];

/** Haus is a cache: a full one keeps caching (README, Assumptions and decisions). */
export const defaultEvictionPolicy: EvictionPolicy = 'allkeys-lru';

/** True for the policies that may evict any key: a write then never fails for memory. */
export function evictsAnyKey(policy: EvictionPolicy): boolean {
  return policy.startsWith('allkeys-');
}

/** True for the policies that evict only keys with an expiry. */
export function evictsOnlyVolatile(policy: EvictionPolicy): boolean {
  return policy.startsWith('volatile-');
}
