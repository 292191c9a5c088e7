/**
 * The HTTP port of --metrics-port: `GET /metrics` in the Prometheus text format, `GET /healthz`
 * for orchestrators (200 `ok` once every shard answered a stats request within
 * metricsShardAnswerMsMax, 503 otherwise or while the server stops). Off the hot path: it runs
 * only when scraped, and what it reads was counted by the hot path as plain increments.
 *
 * Bounded like the client ports: few connections at once, short timeouts, bodies ignored. It
 * asks for no password (the figures hold no keys or values), so it belongs on a network only
 * the scraper reaches.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import {
  metricsConnectionsMax,
  metricsRequestMsMax,
  metricsShardAnswerMsMax,
} from '../config/bounds.js';
import type { Config } from '../config/options.js';
import type { ServerFacts, ShardStats } from '../net/info-sections.js';
import type { CommandCounts } from './command-counts.js';
import {
  MetricsRegistry,
  type MetricsSnapshot,
  type TransactionCounts,
} from './metrics-registry.js';
import type { ReplyMeter } from './reply-meter.js';

/** What the endpoint reads from the server around it (src/net/server.ts). */
export interface MetricsSources {
  readonly config: Config;
  readonly commands: CommandCounts;
  readonly replies: ReplyMeter;
  /** Every shard's counters, in shard order (Coordinator.shardStats). */
  shardStats(done: (stats: ShardStats[]) => void): void;
  /** INFO's figures around the shards' (net/info-sections.ts). */
  facts(shards: ShardStats[]): ServerFacts;
  transactions(): TransactionCounts;
  /** True once the server has begun to stop. */
  stopping(): boolean;
}

export class MetricsEndpoint {
  private readonly sources: MetricsSources;
  private readonly logger: Logger;
  private readonly registry: MetricsRegistry;
  private readonly server: Server;

  constructor(sources: MetricsSources, logger: Logger) {
    this.sources = sources;
    this.logger = logger;
    this.registry = new MetricsRegistry({
      config: sources.config,
      commands: sources.commands,
      replies: sources.replies,
    });
    this.server = createServer(
      {
        requestTimeout: metricsRequestMsMax,
        headersTimeout: metricsRequestMsMax,
        keepAliveTimeout: metricsRequestMsMax,
      },
      (request, response) => this.handle(request, response),
    );
    this.server.maxConnections = metricsConnectionsMax;
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** The port it got (a free one when asked for 0). */
  get port(): number | undefined {
    const address = this.server.address();
    return address === null || typeof address === 'string' ? undefined : address.port;
  }

  /** Stops accepting and closes its connections, idle keep-alive ones included. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      reply(response, 405, 'only GET and HEAD are served here\n', { allow: 'GET, HEAD' });
    } else if (path === '/metrics') {
      this.scrape(response);
    } else if (path === '/healthz') {
      this.health(response);
    } else {
      reply(response, 404, 'not found: this port serves /metrics and /healthz\n');
    }
  }

  private health(response: ServerResponse): void {
    if (this.sources.stopping()) {
      reply(response, 503, 'stopping\n');
      return;
    }
    this.shardStatsWithin(metricsShardAnswerMsMax, (stats) => {
      if (stats === null || this.sources.stopping()) {
        reply(response, 503, `shards did not answer within ${metricsShardAnswerMsMax} ms\n`);
      } else {
        reply(response, 200, 'ok\n');
      }
    });
  }

  private scrape(response: ServerResponse): void {
    this.shardStatsWithin(metricsShardAnswerMsMax, (stats) => {
      if (stats === null) {
        this.logger.warn(
          { waitedMs: metricsShardAnswerMsMax },
          'metrics scraped without the shards: they did not answer in time',
        );
      }
      const snapshot: MetricsSnapshot = {
        facts: this.sources.facts(stats ?? []),
        shardsAnswered: stats !== null,
        transactions: this.sources.transactions(),
      };
      this.registry.text(snapshot).then(
        (text) => reply(response, 200, text, { 'content-type': this.registry.contentType }),
        (error: unknown) => {
          this.logger.error({ err: error }, 'metrics could not be collected');
          reply(response, 500, 'metrics could not be collected\n');
        },
      );
    });
  }

  /** The shards' counters, or null when some shard has not answered within `ms`. */
  private shardStatsWithin(ms: number, done: (stats: ShardStats[] | null) => void): void {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      done(null);
    }, ms);
    this.sources.shardStats((stats) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done(stats);
    });
  }
}

function reply(
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  if (response.writableEnded || response.destroyed) return;
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}
