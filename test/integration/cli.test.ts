/**
 * The `haus` command line: --help, flags and environment variables, bad values.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { describe, test } from 'node:test';
import { optionSpecs } from '../../src/config/options.js';
import { makeCertificates } from '../support/certificates.js';
import { Client } from '../support/client.js';
import { runCli, startServer } from '../support/server-process.js';

describe('command line', () => {
  test('--help lists every flag with its variable and default, and exits 0', async () => {
    const { code, stdout } = await runCli(['--help']);
    assert.equal(code, 0);
    for (const spec of optionSpecs) {
      assert.match(stdout, new RegExp(`--${spec.flag}\\b.*env ${spec.env}, default: `));
    }
    for (const flag of ['host', 'port', 'shards', 'log-level', 'flush-unterminated-ms']) {
      assert.ok(stdout.includes(`--${flag}`), flag);
    }
  });

  test('a bad flag value stops start-up naming flag, value and what is accepted', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--port', '70000'], /--port '70000'.*whole number from -1 to 65535/],
      [['--port=-2'], /--port '-2'.*whole number from -1 to 65535/],
      [['--port=-1'], /--port -1 turns the plain port off: give --tls-port/],
      [['--tls-port', '0'], /--tls-port needs --tls-cert-file and --tls-key-file/],
      [['--requirepass', 'a', '--password-file', '/etc/hostname'], /either --requirepass or/],
      [['--password-file', '/no/such/file'], /Cannot read --password-file '\/no\/such\/file'/],
      [['--shards', '0'], /--shards '0'.*from 1 to 256/],
      [['--shards', 'two'], /--shards 'two'/],
      [['--log-level', 'loud'], /--log-level 'loud'.*one of fatal, error/],
      [['--max-memory', 'lots'], /--max-memory 'lots'.*size such as 512mb/],
      [['--flush-unterminated-ms=-5'], /--flush-unterminated-ms '-5'/],
      [['--no-such-flag'], /no-such-flag/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await runCli(args);
      assert.notEqual(code, 0, args.join(' '));
      assert.match(stderr, message, args.join(' '));
    }
  });

  test('a bad environment value names the variable', async () => {
    const { code, stderr } = await runCli([], { HAUS_SHARDS: 'many' });
    assert.notEqual(code, 0);
    assert.match(stderr, /HAUS_SHARDS 'many'/);
  });

  test('environment variables configure the server and flags win over them', async () => {
    const server = await startServer(['--shards', '3'], {
      HAUS_SHARDS: '2',
      HAUS_MAX_MEMORY: '256mb',
    });
    const listening = server.logs.find((line) => line.msg === 'haus listening');
    assert.equal(listening?.shards, 3);
    assert.equal(listening?.maxMemoryBytes, 256 * 1024 * 1024);
    assert.equal(typeof listening?.pid, 'number');
    const client = await Client.connect(server.port);
    assert.equal(await client.request('PING'), '{"status": "Ok", "result": "PONG"}');
    client.close();
    assert.equal(await server.stop(), 0);
  });

  test('a port already in use stops start-up with a message and a non-zero exit', {
    timeout: 30_000,
  }, async () => {
    const first = await startServer([]);
    try {
      const { code, stdout } = await runCli(['--port', String(first.port)]);
      assert.equal(code, 1);
      assert.match(stdout, /"msg":"haus could not start"/);
      assert.match(stdout, /EADDRINUSE/);
    } finally {
      await first.stop();
    }
  });

  test('a RESP, TLS or metrics port already in use stops start-up the same way', {
    timeout: 60_000,
  }, async () => {
    const certificates = makeCertificates();
    const first = await startServer([]);
    try {
      const taken = String(first.port);
      const cases: string[][] = [
        ['--resp-port', taken],
        ['--metrics-port', taken],
        [
          '--tls-port',
          taken,
          '--tls-cert-file',
          certificates.serverCert,
          '--tls-key-file',
          certificates.serverKey,
        ],
      ];
      for (const flags of cases) {
        // The plain port (any free one) has started by then: it must be closed again, or the
        // process would not exit at all.
        const { code, stdout } = await runCli(['--port', '0', ...flags]);
        assert.equal(code, 1, flags[0]);
        assert.match(stdout, /"msg":"haus could not start"/, flags[0]);
        assert.match(stdout, /EADDRINUSE/, flags[0]);
      }
    } finally {
      await first.stop();
      rmSync(certificates.dir, { recursive: true, force: true });
    }
  });

  test('package.json has a haus bin entry pointing at the built CLI', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    assert.equal(pkg.bin.haus, 'dist/src/cli.js');
  });
});
