/**
 * One-off questions to a server outside the measured load: is it up yet (a PING answered), and
 * how much memory Redis says its data takes (`INFO memory`). Short-lived connections, plain
 * code; nothing here is on a hot path.
 */
import { connect } from 'node:net';
import type { ProtocolName } from './protocols/codec.js';
import { respCommand } from './protocols/resp.js';

const PING: Record<ProtocolName, string> = { haus: 'PING\n', resp: respCommand('PING') };

/** Sends `request` and resolves with the reply once `complete` says all of it has come. */
export function ask(options: {
  host: string;
  port: number;
  request: string;
  complete: (reply: string) => boolean;
  timeoutMs: number;
}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: options.host, port: options.port });
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply from ${options.host}:${options.port}`));
    }, options.timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(options.request));
    socket.on('data', (text: string) => {
      reply += text;
      if (!options.complete(reply)) return;
      clearTimeout(timer);
      socket.end();
      resolve(reply);
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Polls with PING until the server answers; rejects with the last error after `timeoutMs`. */
export async function waitUntilServing(options: {
  host: string;
  port: number;
  protocol: ProtocolName;
  timeoutMs: number;
  /** Checked between attempts, so a server that died is reported at once. */
  exited: () => string | null;
}): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError = 'no attempt';
  while (Date.now() < deadline) {
    const exited = options.exited();
    if (exited !== null) throw new Error(exited);
    try {
      await ask({
        ...options,
        request: PING[options.protocol],
        timeoutMs: 1000,
        complete: (reply) => reply.includes('\n'),
      });
      return;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(
    `server on port ${options.port} not serving after ${options.timeoutMs} ms: ${lastError}`,
  );
}

/** Redis's own count of the bytes its allocator holds (`used_memory`). */
export async function redisUsedMemoryBytes(host: string, port: number): Promise<number> {
  const reply = await ask({
    host,
    port,
    request: respCommand('INFO', 'memory'),
    timeoutMs: 5000,
    complete: (text) => {
      const header = /^\$(\d+)\r\n/.exec(text);
      return (
        header?.[1] !== undefined &&
        Buffer.byteLength(text) >= header[0].length + Number(header[1]) + 2
      );
    },
  });
  const match = /^used_memory:(\d+)\r?$/m.exec(reply);
  if (match?.[1] === undefined) throw new Error('INFO memory has no used_memory line');
  return Number(match[1]);
}

/** `GET key` over RESP: the value as text, or null for a missing key. */
export async function respGet(host: string, port: number, key: string): Promise<string | null> {
  const reply = await ask({
    host,
    port,
    request: respCommand('GET', key),
    timeoutMs: 5000,
    complete: (text) => {
      const header = /^(?:\$(\d+)|[-+:$*][^\r]*)\r\n/.exec(text);
      if (header === null) return false;
      return header[1] === undefined || Buffer.byteLength(text) >= bulkEnd(header);
    },
  });
  const bulk = /^\$(\d+)\r\n/.exec(reply);
  if (bulk?.[1] !== undefined) return reply.slice(bulk[0].length, bulk[0].length + Number(bulk[1]));
  if (reply.startsWith('$-1\r\n')) return null;
  throw new Error(`GET ${key}: unexpected reply ${JSON.stringify(reply.slice(0, 80))}`);
}

function bulkEnd(header: RegExpExecArray): number {
  return header[0].length + Number(header[1]) + 2;
}
