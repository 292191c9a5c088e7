/**
 * Runs one command of the shared command model (src/commands/command-codes.ts) on this
 * shard's store and writes its RESP reply. Both protocols' multi-key work arrives here as
 * these commands; the line protocol's own GET, PUT and DEL keep their direct operations
 * (shard-worker.ts), formatted as JSON.
 */
import { CommandCode } from '../src/commands/command-codes.js';
import {
  runDumpValue,
  runExpire,
  runKeys,
  runPersist,
  runRandomKey,
  runRename,
  runTimeToLive,
  ScanCursors,
} from './key-commands.js';
import type { RespOut } from './resp-out.js';
import type { ShardStore } from './shard-store.js';
import {
  runAppend,
  runGetEx,
  runGetRange,
  runIncrByFloat,
  runIncrement,
  runMsetNx,
  runSet,
  runSetRange,
  runSetWithExpiry,
} from './string-commands.js';

export class CommandExecutor {
  private readonly scans = new ScanCursors();

  constructor(
    private readonly store: ShardStore,
    /** Longest value a command may make (--max-line-bytes): APPEND and SETRANGE grow values
     * without sending them. */
    private readonly valueBytesMax: number,
  ) {}

  run(code: CommandCode, args: string[], out: RespOut): void {
    const store = this.store;
    const key = args[0] as string;
    switch (code) {
      case CommandCode.get: {
        const value = store.get(key);
        if (value === undefined) store.misses++;
        else store.hits++;
        return out.bulk(value);
      }
      case CommandCode.set:
        return runSet(store, args, out, this.valueBytesMax);
      case CommandCode.setnx:
        if (store.has(key)) return out.integer(0);
        store.set(key, args[1] as string, 0);
        return out.integer(1);
      case CommandCode.setex:
        return runSetWithExpiry(store, args, 1000, 'setex', out);
      case CommandCode.psetex:
        return runSetWithExpiry(store, args, 1, 'psetex', out);
      case CommandCode.getset: {
        const previous = store.get(key);
        store.set(key, args[1] as string, 0);
        return out.bulk(previous);
      }
      case CommandCode.getdel: {
        const value = store.get(key);
        if (value !== undefined) store.remove(key);
        return out.bulk(value);
      }
      case CommandCode.getex:
        return runGetEx(store, args, out);
      case CommandCode.incr:
        return runIncrement(store, key, 1, false, out);
      case CommandCode.decr:
        return runIncrement(store, key, 1, true, out);
      case CommandCode.incrby:
        return runIncrement(store, key, args[1] as string, false, out);
      case CommandCode.decrby:
        return runIncrement(store, key, args[1] as string, true, out);
      case CommandCode.incrbyfloat:
        return runIncrByFloat(store, args, out);
      case CommandCode.append:
        return runAppend(store, args, out, this.valueBytesMax);
      case CommandCode.strlen:
        return out.integer(store.get(key)?.length ?? 0);
      case CommandCode.getrange:
      case CommandCode.substr:
        return runGetRange(store, args, out);
      case CommandCode.setrange:
        return runSetRange(store, args, out, this.valueBytesMax);
      case CommandCode.del: {
        // DEL and EXISTS of several keys: those of them on this shard (command-plans.ts).
        let removed = 0;
        for (const each of args) if (store.remove(each)) removed++;
        return out.integer(removed);
      }
      case CommandCode.exists: {
        let found = 0;
        for (const each of args) if (store.has(each)) found++;
        return out.integer(found);
      }
      case CommandCode.mset:
        for (let i = 0; i < args.length; i += 2) {
          store.set(args[i] as string, args[i + 1] as string, 0);
        }
        return out.ok();
      case CommandCode.mget:
        out.arrayHeader(args.length);
        for (const each of args) {
          const value = store.get(each);
          if (value === undefined) store.misses++;
          else store.hits++;
          out.element(value);
        }
        return out.end();
      case CommandCode.type:
        return out.simple(store.has(key) ? 'string' : 'none');
      case CommandCode.expire:
        return runExpire(store, args, 1000, false, 'expire', out);
      case CommandCode.pexpire:
        return runExpire(store, args, 1, false, 'pexpire', out);
      case CommandCode.expireat:
        return runExpire(store, args, 1000, true, 'expireat', out);
      case CommandCode.pexpireat:
        return runExpire(store, args, 1, true, 'pexpireat', out);
      case CommandCode.ttl:
        return runTimeToLive(store, key, 1000, true, out);
      case CommandCode.pttl:
        return runTimeToLive(store, key, 1, true, out);
      case CommandCode.expiretime:
        return runTimeToLive(store, key, 1000, false, out);
      case CommandCode.pexpiretime:
        return runTimeToLive(store, key, 1, false, out);
      case CommandCode.persist:
        return runPersist(store, key, out);
      case CommandCode.rename:
        return runRename(store, args, false, out);
      case CommandCode.renamenx:
        return runRename(store, args, true, out);
      case CommandCode.msetnx:
        return runMsetNx(store, args, out);
      case CommandCode.dumpValue:
        return runDumpValue(store, key, out);
      case CommandCode.restoreValue:
        store.set(key, args[1] as string, Number(args[2]));
        return out.ok();
      case CommandCode.restoreMany:
        for (let i = 0; i + 2 < args.length; i += 3) {
          store.set(args[i] as string, args[i + 1] as string, Number(args[i + 2]));
        }
        return out.ok();
      case CommandCode.keys:
        return runKeys(store, key, out);
      case CommandCode.scan:
        return this.scans.run(store, args, out);
      case CommandCode.dbsize:
        return out.integer(store.size);
      case CommandCode.randomKey:
        return runRandomKey(store, out);
      case CommandCode.flush:
        store.flush();
        this.scans.clear();
        return out.ok();
      case CommandCode.watch: {
        const watcher = Number(key);
        for (let i = 1; i < args.length; i++) store.watch(watcher, args[i] as string);
        return out.ok();
      }
      case CommandCode.watchCheck:
        return out.bulk(store.changedWatchedKey(Number(key)));
      case CommandCode.stats:
        out.arrayHeader(10);
        out.integerElement(store.size);
        out.integerElement(store.volatileSize);
        out.integerElement(store.expiredKeys);
        out.integerElement(store.hits);
        out.integerElement(store.misses);
        out.integerElement(store.largestReplyBytesBound());
        // This thread's own V8 heap (memoryUsage's rss is the whole process's).
        out.integerElement(process.memoryUsage().heapUsed);
        out.integerElement(store.evictedKeys);
        out.integerElement(store.dataBytes);
        out.integerElement(store.averageTtlMs);
        return out.end();
      default:
        throw new Error(`shard received unknown command code ${code}`);
    }
  }
}
