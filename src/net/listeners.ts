/**
 * The ports Haus listens on, all sharing one keyspace, client count and limits:
 * - `--port`: both protocols, chosen per connection by its first byte (SPEC.md section 7);
 * - `--resp-port`: RESP only, inline commands included, exactly as a Redis port;
 * - `--tls-port`: both protocols over TLS (SPEC.md section 10).
 *
 * A TLS client still in its handshake holds a connection slot (it counts against
 * --max-clients) and is dropped after --tls-handshake-timeout-ms, so clients that open
 * connections and never finish a handshake cannot pile up.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Config } from '../config/options.js';

export type ListenerKind = 'plain' | 'resp' | 'tls';

export interface ListenerCallbacks {
  /** A client connected (after its TLS handshake, on the TLS port). */
  accept(socket: Socket, respOnly: boolean): void;
  /** Whether one more connection may be held now (the caller's client count). */
  hasRoom(extra: number): boolean;
  /** A TLS connection refused for lack of room before its handshake. */
  refusedBeforeHandshake(): void;
}

export class Listeners {
  private readonly servers = new Map<ListenerKind, Server>();
  /** Raw sockets of TLS clients still in their handshake. */
  private readonly handshaking = new Set<Socket>();

  constructor(config: Config, callbacks: ListenerCallbacks) {
    // allowHalfOpen: a client that ends its input still gets the replies to what it sent.
    const options = { allowHalfOpen: true, noDelay: true };
    if (config.port >= 0) {
      this.servers.set(
        'plain',
        createServer(options, (s) => callbacks.accept(s, false)),
      );
    }
    if (config.respPort >= 0) {
      this.servers.set(
        'resp',
        createServer(options, (s) => callbacks.accept(s, true)),
      );
    }
    if (config.tlsPort >= 0) {
      const tls = createTlsServer(
        {
          ...options,
          cert: readFileSync(config.tlsCertFile),
          key: readFileSync(config.tlsKeyFile),
          ...(config.tlsCaFile === '' ? {} : { ca: readFileSync(config.tlsCaFile) }),
          requestCert: config.tlsAuthClients,
          rejectUnauthorized: config.tlsAuthClients,
          handshakeTimeout: config.tlsHandshakeTimeoutMs,
        },
        (socket: TLSSocket) => {
          // The TLS socket wraps the raw one (`_parent`, Node's own field since TLS began):
          // its handshake is over, it now counts as a client.
          this.handshaking.delete((socket as TLSSocket & { _parent?: Socket })._parent as Socket);
          callbacks.accept(socket, false);
        },
      );
      tls.on('connection', (raw: Socket) => {
        if (!callbacks.hasRoom(this.handshaking.size)) {
          callbacks.refusedBeforeHandshake();
          raw.destroy();
          return;
        }
        this.handshaking.add(raw);
        raw.once('close', () => this.handshaking.delete(raw));
      });
      // A failed or timed-out handshake: with a listener here Node leaves the socket open, so
      // it is destroyed here (nothing logged per client at the default level).
      tls.on('tlsClientError', (_error: Error, socket: TLSSocket) => socket.destroy());
      this.servers.set('tls', tls);
    }
  }

  async listen(config: Config): Promise<void> {
    const ports: Record<ListenerKind, number> = {
      plain: config.port,
      resp: config.respPort,
      tls: config.tlsPort,
    };
    for (const [kind, server] of this.servers) {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(ports[kind], config.host, () => resolve());
      });
    }
  }

  /** The port a listener got (a free one when asked for 0), or undefined when it is off. */
  portOf(kind: ListenerKind): number | undefined {
    const address = this.servers.get(kind)?.address();
    if (address === undefined || address === null || typeof address === 'string') return undefined;
    return address.port;
  }

  /** Stops accepting; resolves once every listener has closed (after its sockets are gone). */
  close(): Promise<void> {
    for (const raw of this.handshaking) raw.destroy();
    return Promise.all(
      [...this.servers.values()].map(
        (server) => new Promise<void>((resolve) => server.close(() => resolve())),
      ),
    ).then(() => undefined);
  }
}
