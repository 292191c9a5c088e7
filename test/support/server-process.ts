/**
 * Starts the real server (`dist/src/cli.js`) as a child process on a free port, as a user
 * would, and reads its JSON log lines. Tests talk to it only over TCP.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

export const cliPath = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

/**
 * A test that fails before it stops its server would leave the file's process waiting on the
 * child forever. After the file's tests, servers still running get a grace period for the
 * file's own `after` hooks to stop them, then are killed. The timer is unref'd: it never keeps
 * a finished file alive by itself.
 */
const running = new Set<ChildProcess>();
const leftoverKillDelayMs = 10_000;
after(() => {
  setTimeout(() => {
    for (const child of running) child.kill('SIGKILL');
  }, leftoverKillDelayMs).unref();
});

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface RunningServer {
  port: number;
  child: ChildProcess;
  logs: LogLine[];
  /** stdout text that was not JSON (should stay empty). */
  strayOutput: string[];
  /** Resolves with the first log line that matches, waiting for it to arrive (log lines
   * travel through a pipe, so they can come after the reply that followed them). */
  waitForLog(matches: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export async function startServer(
  args: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<RunningServer> {
  const child = spawn(
    process.execPath,
    [cliPath, '--port', '0', '--host', '127.0.0.1', '--log-level', 'info', ...args],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logs: LogLine[] = [];
  const strayOutput: string[] = [];
  let buffered = '';
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  running.add(child);
  void exited.then(() => running.delete(child));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (text: string) => {
      buffered += text;
      let newline = buffered.indexOf('\n');
      while (newline !== -1) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        try {
          const entry = JSON.parse(line) as LogLine;
          logs.push(entry);
          if (entry.msg === 'haus listening') resolve(entry.port as number);
        } catch {
          strayOutput.push(line);
        }
        newline = buffered.indexOf('\n');
      }
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      stderr += text;
    });
    void exited.then((code) =>
      reject(new Error(`server exited (${code}) before listening: ${stderr}`)),
    );
  });
  return {
    port,
    child,
    logs,
    strayOutput,
    exited,
    async waitForLog(matches, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = logs.find(matches);
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error('expected log line did not come');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs the CLI to completion (for --help and bad flags). */
export function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
