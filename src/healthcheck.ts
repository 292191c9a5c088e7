#!/usr/bin/env node
/**
 * The Docker image's HEALTHCHECK: a real round trip, not just an open port. Reads the same
 * HAUS_* variables as the server, so it follows the port, the password (HAUS_PASSWORD or
 * HAUS_PASSWORD_FILE) and, when the plain port is off (HAUS_PORT=-1), the TLS port: it sends
 * AUTH when a password is set, then PING, and exits 0 only on PONG. Exit 1 otherwise.
 */
import { readFileSync } from 'node:fs';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

const timeoutMs = 2_500;
const pong = '{"status": "Ok", "result": "PONG"}';
const ok = '{"status": "Ok"}';

function password(env: NodeJS.ProcessEnv): string {
  if (env.HAUS_PASSWORD !== undefined && env.HAUS_PASSWORD !== '') return env.HAUS_PASSWORD;
  const file = env.HAUS_PASSWORD_FILE;
  if (file === undefined || file === '') return '';
  return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
}

/** The connection, and the event after which it can carry a command. */
function open(env: NodeJS.ProcessEnv): { socket: Socket; ready: 'connect' | 'secureConnect' } {
  const port = Number(env.HAUS_PORT || 9888);
  if (port >= 0) return { socket: connectTcp(port, '127.0.0.1'), ready: 'connect' };
  // TLS only: the check proves the server answers on loopback, not who it is.
  const socket = connectTls({
    port: Number(env.HAUS_TLS_PORT),
    host: '127.0.0.1',
    rejectUnauthorized: false,
  });
  return { socket, ready: 'secureConnect' };
}

function main(): void {
  const secret = password(process.env);
  const expected = secret === '' ? [pong] : [ok, pong];
  const { socket, ready } = open(process.env);
  let received = '';
  socket.setTimeout(timeoutMs, () => process.exit(1));
  socket.on('error', () => process.exit(1));
  socket.once(ready, () => {
    socket.end(secret === '' ? 'PING\n' : `AUTH ${secret}\nPING\n`);
  });
  socket.setEncoding('utf8').on('data', (text: string) => {
    received += text;
    const lines = received.split('\n');
    if (lines.length <= expected.length) return;
    const healthy = expected.every((line, index) => lines[index] === line);
    process.exit(healthy ? 0 : 1);
  });
  socket.on('end', () => process.exit(1));
}

main();
