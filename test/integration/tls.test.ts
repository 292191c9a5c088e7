/**
 * TLS (SPEC.md section 10): both protocols over --tls-port with openssl-made certificates,
 * redis-cli --tls and ioredis over TLS, optional client certificates, the plain port turned
 * off, and clients stuck in their handshake: each holds a connection slot until the handshake
 * timeout drops it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { type Certificates, makeCertificates } from '../support/certificates.js';
import { type RunningServer, startServer } from '../support/server-process.js';

const run = promisify(execFile);

async function tlsPortOf(server: RunningServer): Promise<number> {
  const listening = await server.waitForLog((line) => line.msg === 'haus listening');
  return listening.tlsPort as number;
}

/** Opens a TLS connection, sends `request`, resolves with what came back before `until` matched. */
function tlsExchange(
  port: number,
  certificates: Certificates,
  request: string,
  until: RegExp,
  clientCertificate = false,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: TLSSocket = connectTls({
      port,
      host: '127.0.0.1',
      ca: readFileSync(certificates.ca),
      ...(clientCertificate
        ? { cert: readFileSync(certificates.clientCert), key: readFileSync(certificates.clientKey) }
        : {}),
    });
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer over TLS: ${JSON.stringify(received)}`));
    }, 5_000);
    socket.once('secureConnect', () => socket.write(request));
    socket.setEncoding('utf8').on('data', (text: string) => {
      received += text;
      if (until.test(received)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(received);
      }
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

describe('TLS', () => {
  let certificates: Certificates;
  before(() => {
    certificates = makeCertificates();
  });
  const tlsFlags = () => [
    '--tls-port',
    '0',
    '--tls-cert-file',
    certificates.serverCert,
    '--tls-key-file',
    certificates.serverKey,
  ];

  test('both protocols over TLS; redis-cli --tls and ioredis connect', async (t) => {
    const server = await startServer(tlsFlags());
    t.after(() => server.stop());
    const port = await tlsPortOf(server);
    const line = await tlsExchange(port, certificates, 'PUT tls-a 1\nGET tls-a\n', /\n.*\n/);
    assert.equal(line, '{"status": "Ok"}\n{"status": "Ok", "result": "1"}\n');
    const resp = await tlsExchange(
      port,
      certificates,
      '*2\r\n$3\r\nGET\r\n$5\r\ntls-a\r\n',
      /\r\n1\r\n/,
    );
    assert.equal(resp, '$1\r\n1\r\n');
    const { stdout } = await run('redis-cli', [
      '--tls',
      '--cacert',
      certificates.ca,
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      'GET',
      'tls-a',
    ]);
    assert.equal(stdout.trim(), '1');
    const ioredis = new Redis({
      port,
      host: '127.0.0.1',
      tls: { ca: readFileSync(certificates.ca) },
      lazyConnect: true,
    });
    await ioredis.connect();
    assert.equal(await ioredis.set('tls-b', 'over tls'), 'OK');
    assert.equal(await ioredis.get('tls-b'), 'over tls');
    ioredis.disconnect();
  });

  test('--tls-auth-clients refuses a client without a certificate signed by --tls-ca-file', async (t) => {
    const server = await startServer([
      ...tlsFlags(),
      '--tls-ca-file',
      certificates.ca,
      '--tls-auth-clients',
      'yes',
    ]);
    t.after(() => server.stop());
    const port = await tlsPortOf(server);
    await assert.rejects(tlsExchange(port, certificates, 'PING\n', /\n/));
    const reply = await tlsExchange(port, certificates, 'PING\n', /\n/, true);
    assert.equal(reply, '{"status": "Ok", "result": "PONG"}\n');
  });

  test('--port -1 leaves only the TLS port', async (t) => {
    const server = await startServer([...tlsFlags(), '--port=-1']);
    t.after(() => server.stop());
    const listening = await server.waitForLog((line) => line.msg === 'haus listening');
    assert.equal(listening.port, undefined);
    const reply = await tlsExchange(listening.tlsPort as number, certificates, 'PING\n', /\n/);
    assert.equal(reply, '{"status": "Ok", "result": "PONG"}\n');
  });

  test('random bytes instead of a handshake are dropped; the server keeps serving', async (t) => {
    const server = await startServer(tlsFlags());
    t.after(() => server.stop());
    const port = await tlsPortOf(server);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 600 }), async (noise) => {
        const socket = connectTcp({ port, host: '127.0.0.1' });
        socket.on('error', () => {});
        await new Promise((resolve) => socket.once('connect', resolve));
        socket.write(noise);
        await new Promise((resolve) => {
          socket.once('close', resolve);
          setTimeout(() => {
            socket.destroy();
            resolve(undefined);
          }, 200);
        });
      }),
      { numRuns: 30 },
    );
    const reply = await tlsExchange(port, certificates, 'PING\n', /\n/);
    assert.equal(reply, '{"status": "Ok", "result": "PONG"}\n');
  });

  test('a client stuck in its handshake holds a slot until the handshake timeout drops it', async (t) => {
    const server = await startServer([
      ...tlsFlags(),
      '--max-clients',
      '2',
      '--tls-handshake-timeout-ms',
      '500',
    ]);
    t.after(() => server.stop());
    const port = await tlsPortOf(server);
    // Two TCP connections that never start a handshake fill both slots.
    const stuck = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<ReturnType<typeof connectTcp>>((resolve) => {
            const socket = connectTcp({ port, host: '127.0.0.1' }, () => resolve(socket));
            socket.on('error', () => {});
          }),
      ),
    );
    await sleep(50);
    await assert.rejects(tlsExchange(port, certificates, 'PING\n', /\n/), 'no slot left');
    // The timeout drops them; then a client gets in.
    const closed = stuck.map((socket) => new Promise((resolve) => socket.once('close', resolve)));
    await Promise.all(closed);
    const reply = await tlsExchange(port, certificates, 'PING\n', /\n/);
    assert.equal(reply, '{"status": "Ok", "result": "PONG"}\n');
  });
});
