/**
 * The eviction bench's servers: Haus with a memory limit and a policy, Redis configured the same
 * way (maxmemory and maxmemory-policy), and the few questions the bench asks them (memory,
 * keys, evictions). Built on bench/servers.ts, which starts both on free loopback ports.
 */
import { readRssBytes } from '../proc-stats.js';
import { LOOPBACK, type RunningServer, startHaus, startRedis } from '../servers.js';
import { RespLink } from '../snapshot/resp-link.js';

export type Kind = 'Haus' | 'Redis';

export interface Configured {
  kind: Kind;
  server: RunningServer;
  link: RespLink;
  stop(): Promise<void>;
}

/** Haus with `haus` flags, or Redis with `redis` CONFIG SET pairs. */
export async function startConfigured(
  kind: Kind,
  options: { shards: number; haus?: string[]; redis?: Array<[string, string]> },
): Promise<Configured> {
  const server =
    kind === 'Haus'
      ? await startHaus({ shards: options.shards, protocol: 'resp', extraArgs: options.haus ?? [] })
      : await startRedis();
  const link = await RespLink.open(LOOPBACK, server.port);
  if (kind === 'Redis') {
    for (const [name, value] of options.redis ?? []) await link.ok('CONFIG', 'SET', name, value);
  }
  return {
    kind,
    server,
    link,
    async stop() {
      link.close();
      await server.stop();
    },
  };
}

export async function dbsize(server: Configured): Promise<number> {
  return Number(await server.link.ok('DBSIZE'));
}

export async function infoNumber(server: Configured, section: string, name: string) {
  return Number(await server.link.info(section, name));
}

export function rssOf(server: Configured): number {
  return readRssBytes(server.server.pid) ?? 0;
}
