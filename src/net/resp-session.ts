/**
 * The Redis front door of one connection (SPEC.md section 7): reads RESP requests, answers
 * connection commands itself (PING, HELLO, CLIENT, MULTI, ...), and hands every data command
 * to the coordinator's command runner, which speaks the same command model for both
 * protocols. Holds the connection's RESP state: protocol version, name, the commands a MULTI
 * queued, the keys it WATCHes.
 */

import { basename, dirname, resolve } from 'node:path';
import { type CommandCall, callBytes, ownedCall } from '../commands/command-call.js';
import { arityOk, type CommandSpec, commandTable, notQueued } from '../commands/command-table.js';
import { globMatch } from '../commands/glob.js';
import type { Config } from '../config/options.js';
import { type CommandRunner, oomMessage, type WatchSet } from '../coordinator/command-runner.js';
import type { ClientSession, Waits } from '../coordinator/coordinator.js';
import { isDel, isPlainMset, isPlainSetExec } from '../coordinator/set-commit.js';
import type { SnapshotService } from '../persistence/snapshot-service.js';
import { messages } from '../protocol/messages.js';
import { RespParser, type RespRequest } from '../protocol/resp-parser.js';
import {
  respBulkText,
  respBytes,
  respErrorBytes,
  respIntegerText,
  respNullBytes,
  respOkBytes,
  respPongBytes,
  respQueuedBytes,
} from '../protocol/resp-reply.js';
import {
  type ClientDescription,
  clientInfoLine,
  commandReplyText,
  helloText,
  timeText,
} from '../protocol/resp-server-replies.js';
import type { PasswordCheck } from './password-check.js';

/** Most arguments in one request: Redis's own limit (1024 * 1024). */
const requestArgsMax = 1024 * 1024;
/** A request may carry this much beyond --max-line-bytes (its framing and key), so a value of
 * the full line limit still fits in a SET. */
const requestFramingBytesMax = 64 * 1024;

/** Requests before AUTH, as Redis bounds them (CVE-2021-32675): without them 60 clients that
 * never authenticate could make the server hold a 16 MiB request each. */
const unauthenticatedLimits = { bulkBytesMax: 16 * 1024, argsMax: 10, inlineBytesMax: 16 * 1024 };

/** Commands a client may send before AUTH (SPEC.md section 10), as in Redis. */
const beforeAuth = new Set(['auth', 'hello', 'quit', 'reset']);
const noAuthBytes = respErrorBytes('NOAUTH Authentication required.');
const wrongPassBytes = respErrorBytes(
  'WRONGPASS invalid username-password pair or user is disabled.',
);

const requestTooLarge = 'Protocol error: request larger than --max-line-bytes allows';

/** What a RESP session needs from the server around it. */
export interface RespServer {
  readonly config: Config;
  readonly runner: CommandRunner;
  clients(): ClientDescription[];
  /** INFO's text for `section`, once the shards have reported. */
  info(section: string, done: (text: string) => void): void;
  countCommand(): void;
  /** Commands received, by CommandSpec.index (/metrics: src/metrics/command-counts.ts). */
  readonly commandCounts: Float64Array;
  startedAtMs: number;
  /** SAVE, BGSAVE and LASTSAVE; null without --snapshot-file. */
  readonly snapshots: SnapshotService | null;
  /** CONFIG SET name value: null, or the error to reply. */
  configSet(name: string, value: string): string | null;
}

export type RespOutcome = 'none' | 'ran' | 'waits' | 'close';

export class RespSession {
  readonly parser: RespParser;
  resp3 = false;
  name = '';
  libName = '';
  libVersion = '';
  lastCommand = 'NULL';
  /** Commands queued since MULTI (null outside one), and whether one was refused. */
  private queued: CommandCall[] | null = null;
  private queuedBytes = 0;
  private doomed = false;
  readonly watch: WatchSet;
  private readonly requestBytesMax: number;

  constructor(
    private readonly client: ClientSession & {
      readonly password: PasswordCheck;
      authenticated: boolean;
    },
    private readonly server: RespServer,
    inline: boolean,
  ) {
    const config = server.config;
    this.parser = new RespParser({
      ...(client.authenticated ? this.fullLimits() : unauthenticatedLimits),
      inline,
    });
    this.requestBytesMax = config.lineBytesMax + requestFramingBytesMax;
    this.watch = { watcher: client.id, keys: new Map(), shardFailures: [], closed: false };
    client.replies.errorReply = (message) => respErrorBytes(`ERR ${message}`);
  }

  private fullLimits() {
    const lineBytesMax = this.server.config.lineBytesMax;
    return { bulkBytesMax: lineBytesMax, argsMax: requestArgsMax, inlineBytesMax: lineBytesMax };
  }

  /** The client gave the password: its requests may now be as large as anyone's. */
  private authenticated(): void {
    this.client.authenticated = true;
    this.parser.setLimits(this.fullLimits());
  }

  get inMulti(): boolean {
    return this.queued !== null;
  }

  /** Runs the next complete request, if there is one. */
  runNext(): RespOutcome {
    const request = this.parser.next();
    if (request === null) {
      if (this.parser.bufferedBytes > this.requestBytesMax) {
        return this.protocolError(requestTooLarge);
      }
      return 'none';
    }
    if (request.kind === 'error') return this.protocolError(request.message);
    // The same bound whether the request came in one packet or many.
    if (
      (request.ends[request.count - 1] as number) - (request.starts[0] as number) >
      this.requestBytesMax
    ) {
      return this.protocolError(requestTooLarge);
    }
    this.server.countCommand();
    return this.run(request);
  }

  /** The connection closed: its watches end. */
  closed(): void {
    // An EXEC still waiting for its locks must abort, not run unchecked (the watches go now).
    this.watch.closed = true;
    if (this.watch.keys.size > 0) this.server.runner.unwatch(this.watch);
  }

  private protocolError(message: string): RespOutcome {
    this.client.replies.push(respErrorBytes(`ERR ${message}`));
    return 'close';
  }

  private run(request: RespRequest): RespOutcome {
    const { bytes, starts, ends, count } = request;
    const spec = lookUpCommand(bytes, starts[0] as number, ends[0] as number);
    if (spec === undefined) {
      this.refuse(unknownCommandError(request, bytes.toString('latin1', starts[0], ends[0])));
      return 'ran';
    }
    this.lastCommand = spec.name;
    (this.server.commandCounts[spec.index] as number)++;
    if (!arityOk(spec, count)) {
      this.refuse(`ERR wrong number of arguments for '${spec.name}' command`);
      return 'ran';
    }
    if (!this.client.authenticated && !beforeAuth.has(spec.name)) {
      this.client.replies.push(noAuthBytes);
      return 'ran';
    }
    const call: CommandCall = { spec, args: request, count };
    if (this.queued !== null && !notQueued.has(spec.name)) {
      this.enqueue(call);
      return 'ran';
    }
    const resume = () => this.client.resume();
    const runner = this.server.runner;
    let waits: Waits = false;
    switch (spec.kind) {
      case 'key':
        waits = runner.runKey(this.client, call, this.resp3, resume);
        break;
      case 'keys':
        // DEL, UNLINK and EXISTS of one key need no atomic run.
        if (
          count === 2 &&
          (spec.name === 'del' || spec.name === 'unlink' || spec.name === 'exists')
        ) {
          waits = runner.runKey(this.client, call, this.resp3, resume);
        } else if (runner.runOnOneShard(this.client, call, this.resp3)) {
          // Sent whole to the one shard of its keys.
        } else if (runner.runSplitRead(this.client, call, this.resp3)) {
          // One MGET or EXISTS per shard, their answers merged.
        } else if (isPlainMset(call)) {
          waits = runner.runMset(this.client, call, resume);
        } else if (isDel(call)) {
          waits = runner.runDel(this.client, call, resume);
        } else {
          waits = this.runAtomic([ownedCall(call)], false);
        }
        break;
      case 'keyspace':
        waits = this.runAtomic([ownedCall(call)], false);
        break;
      case 'connection':
        return this.runConnectionCommand(spec, call);
    }
    return waits ? 'waits' : 'ran';
  }

  private runAtomic(calls: CommandCall[], asExec: boolean): Waits {
    const watch = asExec && this.watch.keys.size > 0 ? this.watch : null;
    return this.server.runner.runAtomic(
      this.client,
      calls,
      { resp3: this.resp3, asExec, watch },
      () => this.client.resume(),
    );
  }

  /** An error reply; inside MULTI it also dooms the transaction (EXECABORT). */
  private refuse(message: string): void {
    if (this.queued !== null) this.doomed = true;
    this.client.replies.push(respErrorBytes(message));
  }

  private enqueue(call: CommandCall): void {
    const config = this.server.config;
    const queued = this.queued as CommandCall[];
    if (call.spec.denyOom && this.server.runner.memoryRefusal(call) !== null) {
      this.refuse(oomMessage);
      return;
    }
    const bytes = callBytes(call);
    if (queued.length >= config.txWritesMax) {
      this.refuse(`ERR transaction has reached ${config.txWritesMax} commands (--max-tx-writes)`);
      return;
    }
    if (this.queuedBytes + bytes > config.txBytesMax) {
      this.refuse('ERR transaction would pass its byte limit (--max-tx-bytes)');
      return;
    }
    if (call.spec.kind === 'connection') {
      // Answered now, delivered in EXEC's array: these read or set only this connection.
      const reply = this.connectionReplyInMulti(call);
      if (reply === null) return;
      queued.push({ ...ownedCall(call), fixedReply: reply });
    } else {
      queued.push(ownedCall(call));
    }
    this.queuedBytes += bytes;
    this.client.replies.push(respQueuedBytes);
  }

  /** A connection command queued in MULTI: its reply, or null after refusing it. */
  private connectionReplyInMulti(call: CommandCall): Buffer | null {
    const words = wordsOf(call);
    switch (call.spec.name) {
      case 'ping':
        return words.length > 1 ? respBytes(respBulkText(words[1] as string)) : respPongBytes;
      case 'echo':
        return respBytes(respBulkText(words[1] as string));
      case 'time':
        return respBytes(timeText());
      case 'command': {
        const text = commandReplyText(words.slice(1), this.resp3);
        return text === null ? respErrorBytes('ERR unknown subcommand') : respBytes(text);
      }
      case 'select':
        return selectReply(words[1] as string);
      // EXEC unwatches anyway; inside MULTI it changes nothing (as in Redis).
      case 'unwatch':
        return respOkBytes;
      case 'client':
        return this.client_(words);
      case 'config':
        return this.config(words);
      default:
        // HELLO, AUTH, RESET change the connection itself, and INFO asks the shards: neither
        // fits in a reply made when it is queued.
        this.refuse(`ERR ${call.spec.name.toUpperCase()} is not allowed inside MULTI in Haus`);
        return null;
    }
  }

  private runConnectionCommand(spec: CommandSpec, call: CommandCall): RespOutcome {
    const replies = this.client.replies;
    const words = wordsOf(call);
    switch (spec.name) {
      case 'ping':
        if (words.length > 2) {
          replies.push(respErrorBytes("ERR wrong number of arguments for 'ping' command"));
          return 'ran';
        }
        replies.push(
          words.length > 1 ? respBytes(respBulkText(words[1] as string)) : respPongBytes,
        );
        return 'ran';
      case 'echo':
        replies.push(respBytes(respBulkText(words[1] as string)));
        return 'ran';
      case 'quit':
        replies.push(respOkBytes);
        return 'close';
      case 'multi':
        if (this.queued !== null) {
          replies.push(respErrorBytes('ERR MULTI calls can not be nested'));
          return 'ran';
        }
        this.queued = [];
        this.queuedBytes = 0;
        this.doomed = false;
        replies.push(respOkBytes);
        return 'ran';
      case 'exec':
        return this.exec();
      case 'discard':
        if (this.queued === null) {
          replies.push(respErrorBytes('ERR DISCARD without MULTI'));
          return 'ran';
        }
        this.queued = null;
        this.unwatch();
        replies.push(respOkBytes);
        return 'ran';
      case 'watch':
        if (this.queued !== null) {
          replies.push(respErrorBytes('ERR WATCH inside MULTI is not allowed'));
          return 'ran';
        }
        // What one client watches is held on the shards: bounded like a transaction's writes.
        if (this.watch.keys.size + call.count - 1 > this.server.config.txWritesMax) {
          replies.push(
            respErrorBytes(
              `ERR a client may watch at most ${this.server.config.txWritesMax} keys (--max-tx-writes)`,
            ),
          );
          return 'ran';
        }
        return this.server.runner.watch(this.client, this.watch, ownedCall(call)) ? 'waits' : 'ran';
      case 'unwatch':
        this.unwatch();
        replies.push(respOkBytes);
        return 'ran';
      case 'reset':
        this.queued = null;
        this.unwatch();
        this.resp3 = false;
        this.name = '';
        this.client.authenticated = !this.client.password.required;
        if (!this.client.authenticated) this.parser.setLimits(unauthenticatedLimits);
        replies.push(respBytes('+RESET\r\n'));
        return 'ran';
      case 'hello':
        return this.hello(words);
      case 'auth':
        replies.push(this.auth(words.slice(1)));
        return 'ran';
      case 'select':
        replies.push(selectReply(words[1] as string));
        return 'ran';
      case 'client':
        replies.push(this.client_(words));
        return 'ran';
      case 'time':
        replies.push(respBytes(timeText()));
        return 'ran';
      case 'command': {
        const text = commandReplyText(words.slice(1), this.resp3);
        replies.push(
          text === null
            ? respErrorBytes(`ERR unknown subcommand '${words[1]}'. Try COMMAND HELP.`)
            : respBytes(text),
        );
        return 'ran';
      }
      case 'info': {
        const slot = replies.reserve();
        this.server.info(words[1] ?? 'default', (text) => {
          const reply = respBytes(respTextReply(text, this.resp3));
          slot.resolve(reply, 0, reply.length);
        });
        return 'ran';
      }
      case 'config':
        replies.push(this.config(words));
        return 'ran';
      case 'save':
        return this.save();
      case 'bgsave':
        replies.push(this.backgroundSave(words));
        return 'ran';
      case 'lastsave': {
        const seconds =
          this.server.snapshots?.lastSaveSeconds ?? Math.floor(this.server.startedAtMs / 1000);
        replies.push(respBytes(respIntegerText(seconds)));
        return 'ran';
      }
      default:
        replies.push(respErrorBytes(`ERR unknown command '${spec.name}'`));
        return 'ran';
    }
  }

  /** SAVE: answered once the snapshot is on disk; unlike Redis's, it blocks nobody else. This
   * client's next commands wait for it, so none of them can slip into the snapshot. */
  private save(): RespOutcome {
    const snapshots = this.server.snapshots;
    if (snapshots === null) {
      this.client.replies.push(respErrorBytes(`ERR ${messages.snapshotsOff}`));
      return 'ran';
    }
    const slot = this.client.replies.reserve();
    void snapshots.save('SAVE').then((outcome) => {
      const reply = outcome.ok
        ? respOkBytes
        : respErrorBytes(`ERR ${messages.snapshotFailed(outcome.message)}`);
      slot.resolve(reply, 0, reply.length);
      this.client.resume();
    });
    return 'waits';
  }

  /** BGSAVE [SCHEDULE], with Redis's replies. */
  private backgroundSave(words: string[]): Buffer {
    const snapshots = this.server.snapshots;
    if (snapshots === null) return respErrorBytes(`ERR ${messages.snapshotsOff}`);
    if (words.length > 2 || (words.length === 2 && words[1]?.toUpperCase() !== 'SCHEDULE')) {
      return respErrorBytes('ERR syntax error');
    }
    switch (snapshots.backgroundSave(words.length === 2)) {
      case 'started':
        return respBytes('+Background saving started\r\n');
      case 'scheduled':
        return respBytes('+Background saving scheduled\r\n');
      case 'in-progress':
        return respErrorBytes('ERR Background save already in progress');
    }
  }

  private exec(): RespOutcome {
    const replies = this.client.replies;
    const queued = this.queued;
    if (queued === null) {
      replies.push(respErrorBytes('ERR EXEC without MULTI'));
      return 'ran';
    }
    this.queued = null;
    if (this.doomed) {
      this.unwatch();
      replies.push(respErrorBytes('EXECABORT Transaction discarded because of previous errors.'));
      return 'ran';
    }
    const resume = () => this.client.resume();
    const waits =
      this.watch.keys.size === 0 && isPlainSetExec(queued)
        ? this.server.runner.runSetExec(this.client, queued, resume)
        : this.runAtomic(queued, true);
    return waits ? 'waits' : 'ran';
  }

  private unwatch(): void {
    if (this.watch.keys.size > 0) this.server.runner.unwatch(this.watch);
  }

  private hello(words: string[]): RespOutcome {
    const replies = this.client.replies;
    let resp = this.resp3 ? 3 : 2;
    let i = 1;
    if (words.length > 1) {
      const version = words[1] as string;
      if (!/^\d+$/.test(version)) {
        replies.push(respErrorBytes('ERR Protocol version is not an integer or out of range'));
        return 'ran';
      }
      if (version !== '2' && version !== '3') {
        replies.push(respErrorBytes('NOPROTO unsupported protocol version'));
        return 'ran';
      }
      resp = Number(version);
      i = 2;
    }
    let name: string | null = null;
    for (; i < words.length; i++) {
      const option = (words[i] as string).toUpperCase();
      if (option === 'AUTH' && i + 2 < words.length) {
        const refused = this.auth([words[i + 1] as string, words[i + 2] as string]);
        i += 2;
        if (refused !== respOkBytes) {
          replies.push(refused);
          return 'ran';
        }
        continue;
      }
      if (option === 'SETNAME' && i + 1 < words.length) {
        name = words[++i] as string;
        const refused = clientTextError('Client names', name);
        if (refused !== null) {
          replies.push(refused);
          return 'ran';
        }
      } else {
        replies.push(respErrorBytes(`ERR Syntax error in HELLO option '${words[i]}'`));
        return 'ran';
      }
    }
    if (!this.client.authenticated) {
      replies.push(
        respErrorBytes(
          'NOAUTH HELLO must be called with the client already authenticated, otherwise the ' +
            'HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and ' +
            'select the RESP protocol version at the same time',
        ),
      );
      return 'ran';
    }
    if (name !== null) this.name = name;
    this.resp3 = resp === 3;
    replies.push(respBytes(helloText(this.client.id, resp)));
    return 'ran';
  }

  /** AUTH [user] password, without a password configured: only the default user exists,
   * and it takes any password (Redis's `nopass`). */
  private auth(credentials: string[]): Buffer {
    const password = this.client.password;
    if (credentials.length > 2) return respErrorBytes('ERR syntax error');
    if (!password.required) {
      if (credentials.length === 1) {
        return respErrorBytes(
          'ERR AUTH <password> called without any password configured for the default user. ' +
            'Are you sure your configuration is correct?',
        );
      }
      return credentials[0] === 'default' ? respOkBytes : wrongPassBytes;
    }
    const user = credentials.length === 2 ? credentials[0] : 'default';
    const guess = credentials[credentials.length - 1] as string;
    // Compared even for a wrong user name, so the time taken says nothing about either.
    const matches = password.matches(Buffer.from(guess, 'latin1'));
    if (user !== 'default' || !matches) return wrongPassBytes;
    this.authenticated();
    return respOkBytes;
  }

  /** CLIENT's subcommands (`client_`: `client` is the session's own field). */
  private client_(words: string[]): Buffer {
    const sub = (words[1] as string).toUpperCase();
    const argCount = words.length - 2;
    if (sub === 'SETNAME' && argCount === 1) {
      const name = words[2] as string;
      const refused = clientTextError('Client names', name);
      if (refused !== null) return refused;
      this.name = name;
      return respOkBytes;
    }
    if (sub === 'GETNAME' && argCount === 0) {
      return this.name === '' ? respNullBytes(this.resp3) : respBytes(respBulkText(this.name));
    }
    if (sub === 'ID' && argCount === 0) return respBytes(respIntegerText(this.client.id));
    if (sub === 'INFO' && argCount === 0) {
      const me = this.server.clients().find((client) => client.id === this.client.id);
      return respBytes(respTextReply(me === undefined ? '' : clientInfoLine(me), this.resp3));
    }
    if (sub === 'LIST') {
      const lines = this.server.clients().map(clientInfoLine).join('');
      return respBytes(respTextReply(lines, this.resp3));
    }
    if (sub === 'SETINFO' && argCount === 2) {
      const attribute = (words[2] as string).toUpperCase();
      const value = words[3] as string;
      const refused = clientTextError(attribute.toLowerCase(), value);
      if (refused !== null && (attribute === 'LIB-NAME' || attribute === 'LIB-VER')) {
        return refused;
      }
      if (attribute === 'LIB-NAME') this.libName = value;
      else if (attribute === 'LIB-VER') this.libVersion = value;
      else return respErrorBytes(`ERR Unrecognized option '${words[2]}'`);
      return respOkBytes;
    }
    const known = ['SETNAME', 'GETNAME', 'ID', 'INFO', 'LIST', 'SETINFO'];
    return subcommandError('client', words[1] as string, known);
  }

  private config(words: string[]): Buffer {
    const sub = (words[1] as string).toUpperCase();
    if (sub === 'GET' && words.length >= 3) {
      return configGetReply(this.server.config, words.slice(2), this.resp3);
    }
    if (sub === 'SET' && words.length >= 4 && words.length % 2 === 0) {
      for (let i = 2; i < words.length; i += 2) {
        const refused = this.server.configSet(words[i] as string, words[i + 1] as string);
        if (refused !== null) return respErrorBytes(refused);
      }
      return respOkBytes;
    }
    if (sub === 'RESETSTAT' && words.length === 2) return respOkBytes;
    return subcommandError('config', words[1] as string, ['GET', 'SET', 'RESETSTAT']);
  }
}

/** SELECT: Haus has database 0 only (what Redis answers with `databases 1`). */
function selectReply(index: string): Buffer {
  if (!/^-?\d+$/.test(index)) return respErrorBytes('ERR value is not an integer or out of range');
  return Number(index) === 0 ? respOkBytes : respErrorBytes('ERR DB index is out of range');
}

/** Longest client name, library name or version: CLIENT LIST joins them for every client
 * (Redis has no bound; 20 clients with 15 MB names made a reply past V8's longest string). */
const clientTextBytesMax = 1024;

/** Redis's rule for names shown in CLIENT LIST (printable ASCII, no spaces), and Haus's
 * bound on their length; null when `text` passes. */
function clientTextError(what: string, text: string): Buffer | null {
  if (/[^\x21-\x7e]/.test(text)) {
    return respErrorBytes(`ERR ${what} cannot contain spaces, newlines or special characters.`);
  }
  if (text.length > clientTextBytesMax) {
    return respErrorBytes(`ERR ${what} are limited to ${clientTextBytesMax} bytes`);
  }
  return null;
}

/** Redis 7.0's error for a subcommand: the wrong number of arguments for one it knows
 * (named `command|sub`), else unknown. */
function subcommandError(command: string, sub: string, known: string[]): Buffer {
  if (known.includes(sub.toUpperCase())) {
    return respErrorBytes(
      `ERR wrong number of arguments for '${command}|${sub.toLowerCase()}' command`,
    );
  }
  return respErrorBytes(
    `ERR unknown subcommand '${sub.slice(0, 128)}'. Try ${command.toUpperCase()} HELP.`,
  );
}

/** Text for people (INFO, CLIENT LIST): a bulk string, or in RESP3 a verbatim string. */
function respTextReply(text: string, resp3: boolean): string {
  if (!resp3) return respBulkText(text);
  return `=${text.length + 4}\r\ntxt:${text}\r\n`;
}

const getSpec = commandTable.get('get') as CommandSpec;
const setSpec = commandTable.get('set') as CommandSpec;

/** The command named `bytes[start, end)`, in any case. GET and SET are matched on their
 * bytes: making the name's string and its lower case for every command was two allocations
 * a command on the main thread (bench/run.ts --server haus-resp, P=16). */
function lookUpCommand(bytes: Buffer, start: number, end: number): CommandSpec | undefined {
  if (end - start === 3 && ((bytes[start + 1] as number) | 0x20) === 0x65) {
    const first = (bytes[start] as number) | 0x20;
    const last = (bytes[start + 2] as number) | 0x20;
    if (last === 0x74 && first === 0x67) return getSpec;
    if (last === 0x74 && first === 0x73) return setSpec;
  }
  return commandTable.get(bytes.toString('latin1', start, end).toLowerCase());
}

/** Every argument as a byte string. */
function wordsOf(call: CommandCall): string[] {
  const words: string[] = [];
  for (let i = 0; i < call.count; i++) {
    words.push(call.args.bytes.toString('latin1', call.args.starts[i], call.args.ends[i]));
  }
  return words;
}

/** Redis 7.0's text: the name as sent, then up to 128 bytes of its first arguments. */
function unknownCommandError(request: RespRequest, name: string): string {
  let args = '';
  for (let i = 1; i < request.count && args.length < 128; i++) {
    const arg = request.bytes.toString('latin1', request.starts[i], request.ends[i]);
    args += `'${arg.slice(0, 128 - args.length)}' `;
  }
  return `ERR unknown command '${name.slice(0, 128)}', with args beginning with: ${args}`;
}

/** The settings that map to flags, under Redis's names (CONFIG GET takes glob patterns). */
function configGetReply(config: Config, patterns: string[], resp3: boolean): Buffer {
  const settings: Array<[string, string]> = [
    ['maxmemory', String(config.dataMemoryBytesMax)],
    ['maxmemory-policy', config.evictionPolicy],
    ['maxclients', String(config.clientsMax)],
    ['port', String(config.port)],
    ['bind', config.host],
    ['timeout', String(Math.floor(config.idleTimeoutMs / 1000))],
    ['databases', '1'],
    ['proto-max-bulk-len', String(config.lineBytesMax)],
    // Redis's `save <seconds> <changes>`: a snapshot every interval when something changed.
    [
      'save',
      config.snapshotFile !== '' && config.snapshotIntervalS > 0
        ? `${config.snapshotIntervalS} 1`
        : '',
    ],
    ['dir', config.snapshotFile === '' ? process.cwd() : dirname(resolve(config.snapshotFile))],
    ['dbfilename', config.snapshotFile === '' ? '' : basename(config.snapshotFile)],
    ['appendonly', 'no'],
  ];
  const matched = settings.filter(([name]) =>
    patterns.some((pattern) => globMatch(pattern.toLowerCase(), name)),
  );
  let text = resp3 ? `%${matched.length}\r\n` : `*${matched.length * 2}\r\n`;
  for (const [name, value] of matched) text += respBulkText(name) + respBulkText(value);
  return respBytes(text);
}
