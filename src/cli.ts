#!/usr/bin/env node
/**
 * `haus`: reads the configuration, starts the server, and stops it cleanly on SIGTERM/SIGINT
 * (exit 0). A bad flag or variable stops start-up with a message naming it (exit 2).
 */
import { parseConfig } from './config/parse-config.js';
import { createLogger } from './logger.js';
import { HausServer } from './net/server.js';

async function main(): Promise<void> {
  const result = parseConfig(process.argv.slice(2), process.env);
  if (result.kind === 'help') {
    process.stdout.write(result.text);
    return;
  }
  if (result.kind === 'error') {
    process.stderr.write(`haus: ${result.message}\n`);
    process.exitCode = 2;
    return;
  }
  const logger = createLogger(result.config.logLevel);
  let server: HausServer;
  try {
    server = await HausServer.start(result.config, logger);
  } catch (error) {
    logger.fatal({ err: error }, 'haus could not start');
    process.exitCode = 1;
    return;
  }
  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'signal received');
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.fatal({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
