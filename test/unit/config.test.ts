/**
 * Flags, environment variables, defaults and start-up validation of every limit
 * (SPEC.md section 5, STYLE.md section 5).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseByteSize } from '../../src/config/byte-size.js';
import { optionSpecs } from '../../src/config/options.js';
import { type ConfigResult, helpText, parseConfig } from '../../src/config/parse-config.js';

function configOf(result: ConfigResult) {
  assert.equal(result.kind, 'config', result.kind === 'error' ? result.message : '');
  return (result as Extract<ConfigResult, { kind: 'config' }>).config;
}

function errorOf(result: ConfigResult): string {
  assert.equal(result.kind, 'error');
  return (result as Extract<ConfigResult, { kind: 'error' }>).message;
}

test('defaults: 10,000 clients, 16 MiB lines, 5 s shutdown grace, no idle timeout', () => {
  const config = configOf(parseConfig([], {}));
  assert.equal(config.clientsMax, 10_000);
  assert.equal(config.lineBytesMax, 16 * 1024 * 1024);
  assert.equal(config.shutdownGraceMs, 5_000);
  assert.equal(config.idleTimeoutMs, 0);
  assert.equal(config.debugCommands, false);
  assert.ok(config.dataMemoryBytesMax >= 16 * 1024 * 1024);
  assert.ok(Object.isSealed(config));
});

test('byte sizes accept units like 512mb and 2gb, binary', () => {
  assert.equal(parseByteSize('512mb'), 512 * 1024 ** 2);
  assert.equal(parseByteSize('2GB'), 2 * 1024 ** 3);
  assert.equal(parseByteSize('1.5k'), 1536);
  assert.equal(parseByteSize('100'), 100);
  assert.equal(parseByteSize('12 parsecs'), null);
  assert.equal(parseByteSize('-1mb'), null);
  const config = configOf(parseConfig(['--max-memory', '2gb'], { HAUS_MAX_LINE_BYTES: '1mb' }));
  assert.equal(config.dataMemoryBytesMax, 2 * 1024 ** 3);
  assert.equal(config.lineBytesMax, 1024 ** 2);
});

test('every limit can be set by its flag or its variable, and the flag wins', () => {
  const values: Record<string, [string, number]> = {
    clientsMax: ['7', 7],
    lineBytesMax: ['2kb', 2048],
    dataMemoryBytesMax: ['64mb', 64 * 1024 ** 2],
    txWritesMax: ['9', 9],
    txBytesMax: ['4kb', 4096],
    clientOutputSoftBytes: ['16kb', 16 * 1024],
    clientOutputHardBytes: ['1mb', 1024 ** 2],
    idleTimeoutMs: ['250', 250],
    shutdownGraceMs: ['300', 300],
    flushUnterminatedMs: ['40', 40],
  };
  const argv: string[] = [];
  const env: Record<string, string> = {};
  for (const spec of optionSpecs) {
    const given = values[spec.key];
    if (given === undefined) continue;
    env[spec.env] = given[0];
  }
  const fromEnv = configOf(parseConfig(argv, env));
  for (const [key, [, expected]] of Object.entries(values)) {
    assert.equal(fromEnv[key as keyof typeof fromEnv], expected, `${key} from its variable`);
  }
  const fromFlag = configOf(parseConfig(['--max-clients', '3'], { HAUS_MAX_CLIENTS: '9' }));
  assert.equal(fromFlag.clientsMax, 3);
});

test('a bad value stops start-up naming the flag, the value and what is accepted', () => {
  assert.match(errorOf(parseConfig(['--max-clients', '0'], {})), /--max-clients '0'.*1 to/);
  assert.match(
    errorOf(parseConfig([], { HAUS_MAX_MEMORY: 'lots' })),
    /HAUS_MAX_MEMORY 'lots'.*512mb or 2gb/,
  );
  assert.match(errorOf(parseConfig(['--max-line-bytes', '10'], {})), /--max-line-bytes '10'/);
  // A commit's part for one shard must fit one batch's 32-bit offsets.
  assert.match(
    errorOf(parseConfig(['--max-tx-bytes', '2gb', '--max-memory', '8gb'], {})),
    /--max-tx-bytes '2gb'.*to 1gb/,
  );
  assert.match(errorOf(parseConfig(['--no-such-flag'], {})), /no-such-flag/);
});

test('relations between limits are checked at start-up', () => {
  assert.match(
    errorOf(
      parseConfig(['--client-output-soft-bytes', '2mb', '--client-output-hard-bytes', '1mb'], {
        HAUS_MAX_LINE_BYTES: '64kb',
      }),
    ),
    /--client-output-soft-bytes.*must not exceed --client-output-hard-bytes/,
  );
  assert.match(
    errorOf(parseConfig(['--max-line-bytes', '64mb', '--client-output-hard-bytes', '128mb'], {})),
    /--client-output-hard-bytes.*must hold/,
  );
  assert.match(
    errorOf(parseConfig(['--max-memory', '32mb', '--max-tx-bytes', '64mb'], {})),
    /--max-tx-bytes.*must not exceed --max-memory/,
  );
});

test('--help lists every flag with its variable and default', () => {
  assert.equal(parseConfig(['--help'], {}).kind, 'help');
  const text = helpText();
  for (const spec of optionSpecs) {
    assert.ok(text.includes(`--${spec.flag}`), spec.flag);
    assert.ok(text.includes(spec.env), spec.env);
  }
  assert.match(text, /--max-clients <value> +\(env HAUS_MAX_CLIENTS, default: 10000\)/);
  assert.match(text, /--max-line-bytes <value> +\(env HAUS_MAX_LINE_BYTES, default: 16mb\)/);
});

test('a small --max-memory alone lowers the transaction bytes default with it', () => {
  const result = parseConfig(['--max-memory', '32mb'], {});
  assert.equal(result.kind, 'config');
  if (result.kind !== 'config') return;
  assert.equal(result.config.txBytesMax, 32 * 1024 * 1024);
  assert.equal(result.config.dataMemoryBytesMax, 32 * 1024 * 1024);
});
