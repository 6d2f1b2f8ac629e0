import { createRequire } from 'node:module';
import { pino } from 'pino';

export type Logger = pino.Logger;

/** pino-pretty is a dev dependency: a production install without it logs JSON instead of crashing. */
function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

export function createLogger(options: { level: string; pretty: boolean; name?: string }): Logger {
  return pino({
    name: options.name ?? 'fleet-fines',
    level: options.level,
    ...(options.pretty && prettyAvailable()
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } }
      : {}),
  });
}
