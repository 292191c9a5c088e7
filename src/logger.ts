/**
 * The server's logger: pino, JSON lines on stdout. Events only (start, stop, a shard failure,
 * a client closed and why), never one line per command; connections are logged at debug.
 */
import { type Logger, pino } from 'pino';
import type { LogLevel } from './config/options.js';

export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { pid: process.pid }, messageKey: 'msg' });
}
