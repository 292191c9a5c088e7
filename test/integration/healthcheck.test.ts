/**
 * The Docker image's health check (src/healthcheck.ts), run as the image runs it: with the
 * server's own HAUS_* variables, it must pass with the password or over TLS only, and fail
 * with a wrong password or no server.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeCertificates } from '../support/certificates.js';
import { startServer } from '../support/server-process.js';

const healthcheck = fileURLToPath(new URL('../../src/healthcheck.js', import.meta.url));

function check(env: Record<string, string>): number | null {
  const result = spawnSync(process.execPath, [healthcheck], {
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 10_000,
  });
  return result.status;
}

test('passes against a server without password; fails when nothing listens', async (t) => {
  const server = await startServer([]);
  t.after(() => server.stop());
  assert.equal(check({ HAUS_PORT: String(server.port) }), 0);
  await server.stop();
  assert.equal(check({ HAUS_PORT: String(server.port) }), 1);
});

test('sends AUTH with HAUS_PASSWORD or HAUS_PASSWORD_FILE; a wrong one fails', async (t) => {
  const server = await startServer(['--requirepass', 'health pw']);
  t.after(() => server.stop());
  const port = String(server.port);
  assert.equal(check({ HAUS_PORT: port, HAUS_PASSWORD: 'health pw' }), 0);
  assert.equal(check({ HAUS_PORT: port, HAUS_PASSWORD: 'wrong' }), 1);
  assert.equal(check({ HAUS_PORT: port }), 1);
  const file = join(mkdtempSync(join(tmpdir(), 'haus-health-')), 'password');
  writeFileSync(file, 'health pw\n');
  assert.equal(check({ HAUS_PORT: port, HAUS_PASSWORD_FILE: file }), 0);
});

test('with the plain port off it checks over the TLS port', async (t) => {
  const certificates = makeCertificates();
  const server = await startServer([
    '--port=-1',
    '--tls-port',
    '0',
    '--tls-cert-file',
    certificates.serverCert,
    '--tls-key-file',
    certificates.serverKey,
  ]);
  t.after(() => server.stop());
  const listening = await server.waitForLog((line) => line.msg === 'haus listening');
  assert.equal(check({ HAUS_PORT: '-1', HAUS_TLS_PORT: String(listening.tlsPort) }), 0);
});
