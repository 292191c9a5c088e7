/**
 * The TCP acceptor and the server's life cycle: start the shards, listen, count clients, and
 * shut down in order.
 *
 * Node 20 worker threads cannot share a listening socket, so accepting, framing and routing
 * stay on the main thread; everything else per command happens in the shards.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { configSet } from '../config/config-set.js';
import type { Config } from '../config/options.js';
import { Coordinator } from '../coordinator/coordinator.js';
import { CommandCounts } from '../metrics/command-counts.js';
import { MetricsEndpoint } from '../metrics/metrics-endpoint.js';
import { ReplyMeter } from '../metrics/reply-meter.js';
import { SnapshotService } from '../persistence/snapshot-service.js';
import { messages } from '../protocol/messages.js';
import { errorReplyText } from '../protocol/reply-format.js';
import { respErrorText } from '../protocol/resp-reply.js';
import { infoText } from '../protocol/resp-server-replies.js';
import { ShardHandle } from '../shards/shard-handle.js';
import { ShardRouter } from '../shards/shard-router.js';
import { Connection, describeClient } from './connection.js';
import { infoSections, type ServerFacts, type ShardStats } from './info-sections.js';
import { Listeners } from './listeners.js';
import { PasswordCheck } from './password-check.js';
import type { RespServer } from './resp-session.js';
import { endAndRelease } from './socket-close.js';

const mib = 1024 * 1024;
/** Room over --max-memory for a shard's V8 heap: the memory guard must trip before V8's own
 * limit kills the thread, even if every key hashed to one shard. */
const shardHeapHeadroomMb = 256;
/** Part of --shutdown-grace-ms kept for stopping the shards once the clients are closed. */
const shardStopReserveMs = 250;

export class HausServer {
  readonly config: Config;
  private readonly logger: Logger;
  private readonly listeners: Listeners;
  private readonly password: PasswordCheck;
  private readonly respServer: RespServer;
  private readonly startedAtMs = Date.now();
  private connectionsReceived = 0;
  private rejectedConnections = 0;
  private commandsProcessed = 0;
  /** Commands counted at the last second's tick, for instantaneous_ops_per_sec. */
  private commandsAtTick = 0;
  private opsPerSecond = 0;
  private readonly opsTimer: NodeJS.Timeout;
  private readonly shards: ShardHandle[];
  private readonly coordinator: Coordinator;
  private readonly connections = new Set<Connection>();
  /** Sockets over --max-clients, told so and closing (socket-close.ts). */
  private readonly refused = new Set<Socket>();
  private nextClientId = 1;
  private stopping: Promise<void> | null = null;
  /** Commands by name, for /metrics: counted with or without --metrics-port (an increment). */
  private readonly commandCounts = new CommandCounts();
  /** With --metrics-port: the reply meter every connection's replies go through, and the
   * HTTP port serving /metrics and /healthz. */
  private readonly replyMeter: ReplyMeter | null;
  private readonly metrics: MetricsEndpoint | null;
  /** With --snapshot-file: loads it at start, writes it on SAVE, interval and shutdown. */
  private readonly snapshots: SnapshotService | null;

  private constructor(config: Config, logger: Logger, shards: ShardHandle[], router: ShardRouter) {
    this.config = config;
    this.logger = logger;
    this.shards = shards;
    this.coordinator = new Coordinator({ shards, router, config });
    this.snapshots = SnapshotService.fromConfig(config, {
      shards,
      locks: this.coordinator.locks,
      logger,
    });
    this.password = new PasswordCheck(config.password);
    this.listeners = new Listeners(config, {
      accept: (socket, respOnly) => this.accept(socket, respOnly),
      hasRoom: (extra) => this.connections.size + extra < this.config.clientsMax,
      refusedBeforeHandshake: () => {
        this.rejectedConnections++;
      },
    });
    this.respServer = {
      config,
      runner: this.coordinator.runner,
      startedAtMs: this.startedAtMs,
      snapshots: this.snapshots,
      clients: () => [...this.connections].map((connection) => describeClient(connection)),
      info: (section, done) => this.info(section, done),
      countCommand: () => {
        this.commandsProcessed++;
      },
      commandCounts: this.commandCounts.resp,
      configSet: (name, value) =>
        configSet(
          {
            config,
            setMemoryLimit: (bytes) => {
              (config as { dataMemoryBytesMax: number }).dataMemoryBytesMax = bytes;
              this.coordinator.memory.limitBytes = bytes;
            },
            setPassword: (password) => this.password.set(password),
          },
          name,
          value,
        ),
    };
    this.opsTimer = setInterval(() => {
      this.opsPerSecond = this.commandsProcessed - this.commandsAtTick;
      this.commandsAtTick = this.commandsProcessed;
    }, 1000);
    this.opsTimer.unref();
    this.replyMeter = config.metricsPort === -1 ? null : new ReplyMeter();
    this.metrics = this.replyMeter === null ? null : this.metricsEndpoint(this.replyMeter);
  }

  /** INFO's text for `section`, once every shard has reported its counters. */
  private info(section: string, done: (text: string) => void): void {
    this.coordinator.shardStats((shards) => {
      if (this.snapshots === null) {
        done(infoText(infoSections(this.facts(shards)), section));
        return;
      }
      this.snapshots.facts((persistence) => {
        done(infoText(infoSections({ ...this.facts(shards), persistence }), section));
      });
    });
  }

  /** The figures INFO and /metrics share, around the shards' own. */
  private facts(shards: ShardStats[]): ServerFacts {
    return {
      config: this.config,
      port: this.listeners.portOf('plain') ?? this.listeners.portOf('tls') ?? -1,
      startedAtMs: this.startedAtMs,
      connectedClients: this.connections.size,
      connectionsReceived: this.connectionsReceived,
      rejectedConnections: this.rejectedConnections,
      commandsProcessed: this.commandsProcessed,
      opsPerSecond: this.opsPerSecond,
      shards,
    };
  }

  private metricsEndpoint(replies: ReplyMeter): MetricsEndpoint {
    const coordinator = this.coordinator;
    return new MetricsEndpoint(
      {
        config: this.config,
        commands: this.commandCounts,
        replies,
        shardStats: (done) => coordinator.shardStats(done),
        facts: (shards) => this.facts(shards),
        transactions: () => ({
          applied: { line: coordinator.commitsApplied, resp: coordinator.runner.execsApplied },
          conflicts: { line: coordinator.commitConflicts, resp: coordinator.runner.execConflicts },
        }),
        stopping: () => this.stopping !== null,
      },
      this.logger,
    );
  }

  static async start(config: Config, logger: Logger): Promise<HausServer> {
    const heapMbMax = Math.ceil(config.dataMemoryBytesMax / mib) + shardHeapHeadroomMb;
    const shards = Array.from(
      { length: config.shards },
      (_, shardIndex) =>
        new ShardHandle({
          shardIndex,
          heapMbMax,
          valueBytesMax: config.lineBytesMax,
          evictionPolicy: config.evictionPolicy,
          logger,
        }),
    );
    await Promise.all(shards.map((shard) => shard.start()));
    const router = await ShardRouter.create(config.shards);
    const server = new HausServer(config, logger, shards, router);
    try {
      // Loaded before listening: no client ever sees a half-loaded keyspace.
      await server.snapshots?.load(router);
      await server.listeners.listen(config);
      await server.metrics?.listen(config.metricsPort, config.host);
    } catch (error) {
      // A snapshot that cannot be loaded, a port taken (EADDRINUSE) or not ours to use: close
      // what did start, or the shard threads would keep the process alive and `haus` would
      // never exit. Closing a listener that never listened is a no-op.
      await server.listeners.close();
      await server.metrics?.close();
      server.coordinator.stop();
      await Promise.all(shards.map((shard) => shard.close()));
      throw error;
    }
    logger.info(
      {
        host: config.host,
        port: server.listeners.portOf('plain'),
        respPort: server.listeners.portOf('resp'),
        tlsPort: server.listeners.portOf('tls'),
        metricsPort: server.metrics?.port,
        passwordRequired: server.password.required,
        shards: config.shards,
        maxMemoryBytes: config.dataMemoryBytesMax,
        maxClients: config.clientsMax,
      },
      'haus listening',
    );
    server.snapshots?.startInterval();
    if (!server.password.required && !isLoopback(config.host)) {
      logger.warn(
        { host: config.host },
        'no password set (--requirepass): anyone who reaches this address can read and write ' +
          'every key',
      );
    }
    return server;
  }

  /**
   * Stops accepting at once; every client gets the replies to the commands already received
   * (a commit in flight completes or was never applied), then its connection closes. Clients
   * still open after --shutdown-grace-ms are closed anyway.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  private async shutDown(): Promise<void> {
    this.logger.info({ clients: this.connections.size }, 'haus stopping');
    const listenerClosed = this.listeners.close();
    clearInterval(this.opsTimer);
    // The listener closes only when every socket it accepted is gone, refused ones included.
    for (const socket of this.refused) socket.destroy();
    for (const connection of this.connections) connection.shutdown();
    const allClosed = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (this.connections.size === 0) {
          clearInterval(check);
          resolve();
        }
      }, 10);
    });
    let graceTimer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace over'>((resolve) => {
      // Stopping the shards after the clients takes a few ms more; keep it inside the grace.
      const clientsMs = Math.max(0, this.config.shutdownGraceMs - shardStopReserveMs);
      graceTimer = setTimeout(() => resolve('grace over'), clientsMs);
    });
    const outcome = await Promise.race([allClosed, graceOver]);
    clearTimeout(graceTimer);
    if (outcome === 'grace over') {
      this.logger.warn(
        { clients: this.connections.size, graceMs: this.config.shutdownGraceMs },
        'shutdown grace period over; closing remaining clients',
      );
      // Commits already sent finish on the shards before the shards stop.
      for (const connection of this.connections) connection.destroy();
    }
    await this.coordinator.whenShardsIdle();
    // Every client is answered and gone: the last snapshot holds everything they were told
    // was done. Not bounded by the grace period (losing it would lose those writes).
    let snapshotError: unknown = null;
    await this.snapshots?.stop().catch((error: unknown) => {
      snapshotError = error;
    });
    this.coordinator.stop();
    await listenerClosed;
    await Promise.all(this.shards.map((shard) => shard.close()));
    await this.metrics?.close();
    if (snapshotError !== null) throw snapshotError;
    this.logger.info('haus stopped');
  }

  private accept(socket: Socket, respOnly: boolean): void {
    if (this.stopping !== null) {
      socket.destroy();
      return;
    }
    this.connectionsReceived++;
    if (this.connections.size >= this.config.clientsMax) {
      this.rejectedConnections++;
      this.logger.warn({ maxClients: this.config.clientsMax }, 'client refused: too many clients');
      socket.on('error', () => {});
      this.refused.add(socket);
      socket.once('close', () => this.refused.delete(socket));
      // A RESP-only port's clients read Redis's own error for this.
      endAndRelease(
        socket,
        respOnly
          ? respErrorText('ERR max number of clients reached')
          : errorReplyText(messages.tooManyClients(this.config.clientsMax)),
      );
      return;
    }
    const id = this.nextClientId++;
    const connection = new Connection({
      id,
      socket,
      config: this.config,
      coordinator: this.coordinator,
      respServer: this.respServer,
      respOnly,
      password: this.password,
      onCommand: (kind) => {
        this.commandsProcessed++;
        this.commandCounts.line[kind]++;
      },
      replyMeter: this.replyMeter,
      logger: this.logger,
      onClose: (closed) => {
        this.connections.delete(closed);
        this.logger.debug({ client: closed.id }, 'client disconnected');
      },
    });
    this.connections.add(connection);
    this.logger.debug({ client: id, remote: socket.remoteAddress }, 'client connected');
  }
}

/** Addresses only this machine can reach: no warning about a missing password there. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
