/**
 * Every setting of the server in one table: flag, environment variable, default, bounds, and
 * why. `--help`, the README's flags table and start-up validation all read this table, so a
 * limit cannot exist in one place and be missing from another.
 *
 * Names put the unit last (`lineBytesMax`, `shutdownGraceMs`) so related limits line up.
 */
import { formatByteSize } from './byte-size.js';
import { usableCores } from './cpu-limit.js';
import {
  defaultEvictionPolicy,
  type EvictionPolicy,
  evictionPolicies,
} from './eviction-policies.js';
import { processMemoryLimit } from './memory-limit.js';

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

export interface Config {
  readonly host: string;
  readonly port: number;
  /** -1: no RESP-only listener. */
  readonly respPort: number;
  readonly shards: number;
  readonly logLevel: LogLevel;
  /** CONFIG SET maxclients changes it while serving (config-set.ts). */
  clientsMax: number;
  readonly lineBytesMax: number;
  readonly dataMemoryBytesMax: number;
  readonly evictionPolicy: EvictionPolicy;
  readonly txWritesMax: number;
  readonly txBytesMax: number;
  readonly clientOutputSoftBytes: number;
  readonly clientOutputHardBytes: number;
  /** CONFIG SET timeout changes it for connections made after. */
  idleTimeoutMs: number;
  readonly shutdownGraceMs: number;
  readonly flushUnterminatedMs: number;
  readonly debugCommands: boolean;
  /** '' : no password. Never logged (SPEC.md section 10). */
  readonly password: string;
  readonly passwordFile: string;
  /** -1: no TLS listener. */
  readonly tlsPort: number;
  readonly tlsCertFile: string;
  readonly tlsKeyFile: string;
  readonly tlsCaFile: string;
  readonly tlsAuthClients: boolean;
  readonly tlsHandshakeTimeoutMs: number;
  /** -1: no metrics endpoint (src/metrics/). */
  readonly metricsPort: number;
  /** '': no snapshots (src/persistence/). */
  readonly snapshotFile: string;
  /** 0: snapshots only on SAVE, BGSAVE and shutdown. */
  readonly snapshotIntervalS: number;
}

/** 'switch': a yes/no value given after the flag (`--tls-auth-clients yes`, as Redis
 * spells it); 'boolean': a flag alone. */
type OptionKind = 'string' | 'integer' | 'bytes' | 'level' | 'boolean' | 'switch' | 'choice';

export interface OptionSpec {
  readonly key: keyof Config;
  readonly flag: string;
  readonly env: string;
  readonly kind: OptionKind;
  /** Smallest and largest accepted value, for integers and byte sizes. */
  readonly min?: number;
  readonly max?: number;
  /** The accepted values, for 'choice'. */
  readonly choices?: readonly string[];
  readonly defaultValue: () => string | number | boolean;
  /** How the default reads in --help, when it is computed. */
  readonly defaultText?: string;
  /** One line on what it does, why the default, and what a client sees when it trips. */
  readonly description: string;
}

const mib = 1024 * 1024;
const portMax = 65_535;
const shardsMax = 256;

/** Share of the memory the process may use that the data may fill: the rest is V8 headroom,
 * worker heaps, socket buffers and replies in flight (measured in FINDINGS.md: ~46 MB idle plus
 * ~10 MB per shard, and up to 2x the live heap during a garbage collection). */
export const dataMemoryShareOfLimit = 0.5;

/** A reply can be up to 6x its value (every control character becomes `\u00XX`). */
export const replyBytesPerValueByteMax = 6;

export const optionSpecs: readonly OptionSpec[] = [
  {
    key: 'host',
    flag: 'host',
    env: 'HAUS_HOST',
    kind: 'string',
    defaultValue: () => '0.0.0.0',
    description: 'Address to listen on. 0.0.0.0 accepts clients on every interface.',
  },
  {
    key: 'port',
    flag: 'port',
    env: 'HAUS_PORT',
    kind: 'integer',
    min: -1,
    max: portMax,
    defaultValue: () => 9888,
    description:
      'TCP port to listen on; 0 picks a free port (logged at start); -1 turns the plain port ' +
      'off (with --tls-port, TLS only).',
  },
  {
    key: 'respPort',
    flag: 'resp-port',
    env: 'HAUS_RESP_PORT',
    kind: 'integer',
    min: -1,
    max: portMax,
    defaultValue: () => -1,
    defaultText: 'off (-1)',
    description:
      'A second port that speaks only RESP, inline commands included, exactly as a Redis port ' +
      '(redis-benchmark -t ping_inline works there); 0 picks a free port. Off by default so it ' +
      'never collides with a Redis on 6379.',
  },
  {
    key: 'shards',
    flag: 'shards',
    env: 'HAUS_SHARDS',
    kind: 'integer',
    min: 1,
    max: shardsMax,
    defaultValue: () => usableCores(),
    defaultText: "one per core (of the container's CPU quota, if any)",
    description: 'Worker threads that each own a part of the keys. More than cores is slower.',
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    env: 'HAUS_LOG_LEVEL',
    kind: 'level',
    defaultValue: () => 'info',
    description: `Log level (${logLevels.join(', ')}). Connections are logged at debug.`,
  },
  {
    key: 'clientsMax',
    flag: 'max-clients',
    env: 'HAUS_MAX_CLIENTS',
    kind: 'integer',
    min: 1,
    max: 1_000_000,
    defaultValue: () => 10_000,
    description:
      'Connections served at once (as Redis). The next one gets one Error and is closed.',
  },
  {
    key: 'lineBytesMax',
    flag: 'max-line-bytes',
    env: 'HAUS_MAX_LINE_BYTES',
    kind: 'bytes',
    min: 64,
    max: 512 * mib,
    defaultValue: () => 16 * mib,
    description:
      'Longest command line, without its line ending. Longer: one Error, the rest of the line ' +
      'is dropped as it arrives, and the connection goes on.',
  },
  {
    key: 'dataMemoryBytesMax',
    flag: 'max-memory',
    env: 'HAUS_MAX_MEMORY',
    kind: 'bytes',
    min: 16 * mib,
    defaultValue: () => Math.floor(processMemoryLimit().bytes * dataMemoryShareOfLimit),
    defaultText: `${dataMemoryShareOfLimit * 100}% of the cgroup memory limit, else of RAM`,
    description:
      'Memory the server process may reach (RSS). Past it keys are evicted (--eviction-policy), ' +
      'or with noeviction PUT and COMMIT get an Error while GET, DEL and ROLLBACK keep working. ' +
      'Accepts units: 512mb, 2gb.',
  },
  {
    key: 'evictionPolicy',
    flag: 'eviction-policy',
    env: 'HAUS_EVICTION_POLICY',
    kind: 'choice',
    choices: evictionPolicies,
    defaultValue: () => defaultEvictionPolicy,
    description:
      'What a full server does (Redis maxmemory-policy): allkeys-* evict any key, so a write ' +
      'never fails for memory; volatile-* evict keys with an expiry and refuse writes when none ' +
      'is left; noeviction refuses writes (RESP: -OOM).',
  },
  {
    key: 'txWritesMax',
    flag: 'max-tx-writes',
    env: 'HAUS_MAX_TX_WRITES',
    kind: 'integer',
    min: 1,
    max: 10_000_000,
    defaultValue: () => 100_000,
    description:
      'Writes one transaction may buffer. The write that would pass it gets an Error; the ' +
      'transaction stays open with what it had.',
  },
  {
    key: 'txBytesMax',
    flag: 'max-tx-bytes',
    env: 'HAUS_MAX_TX_BYTES',
    kind: 'bytes',
    min: 1024,
    // A commit's part for one shard travels in one batch, whose byte offsets are int32.
    max: 1024 * mib,
    defaultValue: () => 64 * mib,
    description:
      'Key and value bytes one transaction may buffer (at most --max-memory and 1gb). The write ' +
      'that would pass it gets an Error; the transaction stays open with what it had.',
  },
  {
    key: 'clientOutputSoftBytes',
    flag: 'client-output-soft-bytes',
    env: 'HAUS_CLIENT_OUTPUT_SOFT_BYTES',
    kind: 'bytes',
    min: 1024,
    defaultValue: () => 4 * mib,
    description:
      'Unsent reply bytes of one client past which the server stops reading its commands ' +
      'until it reads its replies.',
  },
  {
    key: 'clientOutputHardBytes',
    flag: 'client-output-hard-bytes',
    env: 'HAUS_CLIENT_OUTPUT_HARD_BYTES',
    kind: 'bytes',
    min: 1024,
    defaultValue: () => 128 * mib,
    description:
      'Unsent reply bytes of one client past which it is disconnected (logged). Must hold the ' +
      `largest reply: ${replyBytesPerValueByteMax}x --max-line-bytes.`,
  },
  {
    key: 'idleTimeoutMs',
    flag: 'idle-timeout-ms',
    env: 'HAUS_IDLE_TIMEOUT_MS',
    kind: 'integer',
    min: 0,
    max: 2 ** 31 - 1,
    defaultValue: () => 0,
    description: 'Close a client silent this long (0 = never, as in Redis).',
  },
  {
    key: 'shutdownGraceMs',
    flag: 'shutdown-grace-ms',
    env: 'HAUS_SHUTDOWN_GRACE_MS',
    kind: 'integer',
    min: 0,
    max: 600_000,
    defaultValue: () => 5_000,
    description:
      'On SIGTERM/SIGINT, time to answer commands already received before the remaining ' +
      'clients are closed (inside docker stop’s 10 s).',
  },
  {
    key: 'flushUnterminatedMs',
    flag: 'flush-unterminated-ms',
    env: 'HAUS_FLUSH_UNTERMINATED_MS',
    kind: 'integer',
    min: 0,
    max: 60_000,
    defaultValue: () => 0,
    description:
      'Legacy framing: bytes left without a newline this long are taken as a command ' +
      '(0 = off; a delayed TCP segment would cut a value short).',
  },
  {
    key: 'password',
    flag: 'requirepass',
    env: 'HAUS_PASSWORD',
    kind: 'string',
    defaultValue: () => '',
    defaultText: 'none',
    description:
      'Password clients must give (AUTH password, or HELLO 3 AUTH default password) before any ' +
      'other command. Compared in constant time, never logged.',
  },
  {
    key: 'passwordFile',
    flag: 'password-file',
    env: 'HAUS_PASSWORD_FILE',
    kind: 'string',
    defaultValue: () => '',
    defaultText: 'none',
    description:
      'File holding the password (a Docker secret); a trailing newline is dropped. Not with ' +
      '--requirepass.',
  },
  {
    key: 'tlsPort',
    flag: 'tls-port',
    env: 'HAUS_TLS_PORT',
    kind: 'integer',
    min: -1,
    max: portMax,
    defaultValue: () => -1,
    defaultText: 'off (-1)',
    description:
      'A TLS port: both protocols, as on --port; needs --tls-cert-file and --tls-key-file. ' +
      '0 picks a free port.',
  },
  {
    key: 'tlsCertFile',
    flag: 'tls-cert-file',
    env: 'HAUS_TLS_CERT_FILE',
    kind: 'string',
    defaultValue: () => '',
    defaultText: 'none',
    description: "The server's certificate (PEM), with its chain.",
  },
  {
    key: 'tlsKeyFile',
    flag: 'tls-key-file',
    env: 'HAUS_TLS_KEY_FILE',
    kind: 'string',
    defaultValue: () => '',
    defaultText: 'none',
    description: "The certificate's private key (PEM).",
  },
  {
    key: 'tlsCaFile',
    flag: 'tls-ca-file',
    env: 'HAUS_TLS_CA_FILE',
    kind: 'string',
    defaultValue: () => '',
    defaultText: 'none',
    description: 'CA certificates (PEM) that client certificates must chain to.',
  },
  {
    key: 'tlsAuthClients',
    flag: 'tls-auth-clients',
    env: 'HAUS_TLS_AUTH_CLIENTS',
    kind: 'switch',
    defaultValue: () => false,
    description:
      'Require a client certificate signed by --tls-ca-file (opt-in; Redis requires one by ' +
      'default).',
  },
  {
    key: 'tlsHandshakeTimeoutMs',
    flag: 'tls-handshake-timeout-ms',
    env: 'HAUS_TLS_HANDSHAKE_TIMEOUT_MS',
    kind: 'integer',
    min: 100,
    max: 120_000,
    defaultValue: () => 10_000,
    description:
      'A TLS client must finish its handshake this soon or is dropped; until then it holds a ' +
      'connection slot (--max-clients).',
  },
  {
    key: 'metricsPort',
    flag: 'metrics-port',
    env: 'HAUS_METRICS_PORT',
    kind: 'integer',
    min: -1,
    max: portMax,
    defaultValue: () => -1,
    defaultText: 'off (-1)',
    description:
      'An HTTP port (on --host) serving /metrics in the Prometheus text format and /healthz ' +
      '(200 while the shards answer, else 503); 0 picks a free port. No password: keep it ' +
      'off networks you do not trust.',
  },
  {
    key: 'snapshotFile',
    flag: 'snapshot-file',
    env: 'HAUS_SNAPSHOT_FILE',
    kind: 'string',
    defaultValue: () => '',
    defaultText: 'none (no persistence)',
    description:
      'Snapshot file, in Redis RDB format: loaded at start if it exists (a corrupt one stops ' +
      'the start), written on SAVE/BGSAVE, every --snapshot-interval-s and on SIGTERM. Its ' +
      'directory must be writable: the file is written beside it and renamed over it.',
  },
  {
    key: 'snapshotIntervalS',
    flag: 'snapshot-interval-s',
    env: 'HAUS_SNAPSHOT_INTERVAL_S',
    kind: 'integer',
    min: 0,
    max: 7 * 24 * 3600,
    defaultValue: () => 0,
    defaultText: 'off (0)',
    description:
      'With --snapshot-file, also write a snapshot this often when anything changed; what ' +
      'changed since the last one is lost in a crash (SIGKILL, power), not in a SIGTERM.',
  },
  {
    key: 'debugCommands',
    flag: 'enable-debug-commands',
    env: 'HAUS_ENABLE_DEBUG_COMMANDS',
    kind: 'boolean',
    defaultValue: () => false,
    description:
      'Accept DEBUG commands that crash a shard or report locks (tests only; never in production).',
  },
];

export function describeDefault(spec: OptionSpec): string {
  if (spec.defaultText !== undefined) return spec.defaultText;
  const value = spec.defaultValue();
  if (spec.kind === 'bytes' && typeof value === 'number') return formatByteSize(value);
  return String(value);
}
