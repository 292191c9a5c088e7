/**
 * Turns one line (bytes, without its line ending) into a command (SPEC.md section 2).
 *
 * Runs on the main thread for every command, so it only finds where the command word, the key
 * and the value are; it decodes nothing. The shard that owns the key decodes and validates the
 * UTF-8, off the main thread (bench/run.ts, P=16: the main thread is the part that cannot
 * spread across cores). Words are separated by runs of spaces and tabs, and only those.
 */
import { echoedWordCharsMax } from '../config/bounds.js';
import { messages } from './messages.js';

/** The line protocol's command names (DEBUG aside: it is matched on its own, after these), upper-case
 * ASCII, for a case-insensitive match without decoding the word. The one list: /metrics counts
 * by it too (src/metrics/command-counts.ts). */
export const commandNames = [
  'GET',
  'PUT',
  'DEL',
  'START',
  'COMMIT',
  'ROLLBACK',
  'PING',
  'QUIT',
  'EXPIRE',
  'PEXPIRE',
  'PERSIST',
  'TTL',
  'PTTL',
  'INFO',
  'AUTH',
  'SAVE',
] as const;

export type CommandName = (typeof commandNames)[number];

/** Byte ranges into the buffer the line was parsed from (absolute offsets). */
export interface KeyCommand {
  kind: 'GET' | 'DEL';
  keyStart: number;
  keyEnd: number;
}

/** Expiry of one key (SPEC.md section 8): PERSIST, TTL and PTTL take only the key. */
export interface ExpiryCommand {
  kind: 'EXPIRE' | 'PEXPIRE' | 'PERSIST' | 'TTL' | 'PTTL';
  keyStart: number;
  keyEnd: number;
  /** EXPIRE and PEXPIRE: the time to live in ms (negative or zero: the key goes now). */
  ms: number;
}

/** AUTH password: the password is the rest of the line, trailing spaces and tabs removed (as
 * a PUT's value), so it may hold spaces. */
export interface AuthCommand {
  kind: 'AUTH';
  passwordStart: number;
  passwordEnd: number;
}

/** INFO [section]: the server's figures, as Redis's INFO text. */
export interface InfoCommand {
  kind: 'INFO';
  section: string;
}

export interface PutCommand {
  kind: 'PUT';
  keyStart: number;
  keyEnd: number;
  valueStart: number;
  valueEnd: number;
}

export interface BareCommand {
  kind: 'COMMIT' | 'ROLLBACK' | 'PING' | 'QUIT' | 'SAVE';
}

/** START, or START SERIALIZABLE (SPEC.md section 7). */
export interface StartCommand {
  kind: 'START';
  serializable: boolean;
}

/** DEBUG words are parsed here but only obeyed with --enable-debug-commands. */
export interface DebugCommand {
  kind: 'DEBUG';
  words: string[];
}

export interface ParseError {
  kind: 'error';
  message: string;
  /** A PUT or DEL refused for bad input: inside a transaction it dooms it (SPEC.md section 4). */
  isWrite?: boolean;
}

export interface Blank {
  kind: 'blank';
}

export type Command =
  | KeyCommand
  | PutCommand
  | BareCommand
  | StartCommand
  | ExpiryCommand
  | InfoCommand
  | AuthCommand
  | DebugCommand
  | ParseError
  | Blank;

const space = 0x20;
const tab = 0x09;
const blank: Blank = { kind: 'blank' };

function isSeparator(byte: number | undefined): boolean {
  return byte === space || byte === tab;
}

function skipSeparators(line: Buffer, from: number, end: number): number {
  let i = from;
  while (i < end && isSeparator(line[i])) i++;
  return i;
}

function wordEnd(line: Buffer, from: number, end: number): number {
  let i = from;
  while (i < end && !isSeparator(line[i])) i++;
  return i;
}

function matchCommand(line: Buffer, start: number, end: number): CommandName | 'DEBUG' | null {
  const length = end - start;
  for (const name of commandNames) {
    if (name.length === length && sameLetters(line, start, name)) return name;
  }
  if (length === 5 && sameLetters(line, start, 'DEBUG')) return 'DEBUG';
  return null;
}

/** `byte | 0x20` maps exactly the two cases of an ASCII letter to its lower case. */
function sameLetters(line: Buffer, start: number, upperName: string): boolean {
  for (let i = 0; i < upperName.length; i++) {
    if (((line[start + i] ?? 0) | 0x20) !== (upperName.charCodeAt(i) | 0x20)) return false;
  }
  return true;
}

/** Parses the line `bytes[start, end)` (the whole buffer by default). */
export function parseCommand(bytes: Buffer, start = 0, end = bytes.length): Command {
  const wordStart = skipSeparators(bytes, start, end);
  if (wordStart === end) return blank;
  const wordStop = wordEnd(bytes, wordStart, end);
  const name = matchCommand(bytes, wordStart, wordStop);
  if (name === null) return unknownCommand(bytes, wordStart, wordStop);

  const keyStart = skipSeparators(bytes, wordStop, end);
  const keyEnd = wordEnd(bytes, keyStart, end);
  switch (name) {
    case 'GET':
    case 'DEL':
      if (keyStart === keyEnd || skipSeparators(bytes, keyEnd, end) !== end) {
        const message = messages.takesOneKey(name);
        return name === 'DEL'
          ? { kind: 'error', message, isWrite: true }
          : { kind: 'error', message };
      }
      return { kind: name, keyStart, keyEnd };
    case 'PUT':
      return parsePut(bytes, keyStart, keyEnd, end);
    case 'PERSIST':
    case 'TTL':
    case 'PTTL':
      if (keyStart === keyEnd || skipSeparators(bytes, keyEnd, end) !== end) {
        const message = messages.takesOneKey(name);
        return name === 'PERSIST'
          ? { kind: 'error', message, isWrite: true }
          : { kind: 'error', message };
      }
      return { kind: name, keyStart, keyEnd, ms: 0 };
    case 'EXPIRE':
    case 'PEXPIRE':
      return parseExpire(name, bytes, keyStart, keyEnd, end);
    case 'AUTH': {
      let passwordEnd = end;
      while (passwordEnd > keyStart && isSeparator(bytes[passwordEnd - 1])) passwordEnd--;
      if (keyStart === passwordEnd) return { kind: 'error', message: messages.authUsage };
      return { kind: 'AUTH', passwordStart: keyStart, passwordEnd };
    }
    case 'INFO': {
      const section = bytes.toString('latin1', keyStart, keyEnd);
      if (skipSeparators(bytes, keyEnd, end) !== end) {
        return { kind: 'error', message: messages.infoUsage };
      }
      return { kind: 'INFO', section: section === '' ? 'default' : section };
    }
    case 'DEBUG':
      return {
        kind: 'DEBUG',
        words: bytes
          .toString('utf8', keyStart, end)
          .split(/[ \t]+/)
          .filter(Boolean),
      };
    case 'START':
      if (keyStart === end) return { kind: 'START', serializable: false };
      if (
        keyEnd - keyStart === 12 &&
        sameLetters(bytes, keyStart, 'SERIALIZABLE') &&
        skipSeparators(bytes, keyEnd, end) === end
      ) {
        return { kind: 'START', serializable: true };
      }
      return { kind: 'error', message: messages.startUsage };
    default:
      if (keyStart !== end) {
        return { kind: 'error', message: messages.takesNoArguments(name) };
      }
      return { kind: name };
  }
}

/** Whole numbers up to 15 digits: exact as doubles, and far past any sensible expiry. */
const wholeNumber = /^-?\d{1,15}$/;

/** `EXPIRE key seconds` or `PEXPIRE key ms`. */
function parseExpire(
  name: 'EXPIRE' | 'PEXPIRE',
  bytes: Buffer,
  keyStart: number,
  keyEnd: number,
  end: number,
): Command {
  const amountStart = skipSeparators(bytes, keyEnd, end);
  const amountEnd = wordEnd(bytes, amountStart, end);
  const amount = bytes.toString('latin1', amountStart, amountEnd);
  if (
    keyStart === keyEnd ||
    !wholeNumber.test(amount) ||
    skipSeparators(bytes, amountEnd, end) !== end
  ) {
    return { kind: 'error', message: messages.expireUsage(name), isWrite: true };
  }
  const ms = Number(amount) * (name === 'EXPIRE' ? 1000 : 1);
  return { kind: name, keyStart, keyEnd, ms };
}

/** The value is everything after the key and its following spaces, minus trailing spaces and
 * tabs: inner spaces are kept exactly (`PUT   a    3 * 3 = 9 ` stores `3 * 3 = 9`). */
function parsePut(bytes: Buffer, keyStart: number, keyEnd: number, end: number): Command {
  const valueStart = skipSeparators(bytes, keyEnd, end);
  let valueEnd = end;
  while (valueEnd > valueStart && isSeparator(bytes[valueEnd - 1])) valueEnd--;
  if (keyStart === keyEnd || valueStart === valueEnd) {
    return { kind: 'error', message: messages.putNeedsValue, isWrite: true };
  }
  return { kind: 'PUT', keyStart, keyEnd, valueStart, valueEnd };
}

function unknownCommand(line: Buffer, start: number, end: number): ParseError {
  let word = line.toString('utf8', start, end);
  if (word.length > echoedWordCharsMax) word = `${word.slice(0, echoedWordCharsMax)}...`;
  return { kind: 'error', message: messages.unknownCommand(word) };
}
