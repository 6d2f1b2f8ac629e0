import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('gives working defaults for the embedded quick start', () => {
    const config = loadConfig({}, []);
    expect(config.role).toBe('all');
    expect(config.port).toBe(3000);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.embeddedPgDir).toMatch(/\.data\/pg$/);
    expect(config.maintenance).toEqual({ cron: '30 3 * * *', tz: 'Asia/Amman' });
  });

  it('reads the role from --role= or --role', () => {
    expect(loadConfig({}, ['--role=web']).role).toBe('web');
    expect(loadConfig({}, ['--role', 'worker']).role).toBe('worker');
    expect(loadConfig({ ROLE: 'worker' }, []).role).toBe('worker');
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x@y/z' }, 'DATABASE_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ MAINTENANCE_TZ: 'Mars/Olympus' }, 'MAINTENANCE_TZ'],
    [{ MAINTENANCE_CRON: 'every night' }, 'MAINTENANCE_CRON'],
  ])('refuses %o and names %s', (env, name) => {
    let caught: unknown;
    try {
      loadConfig(env, []);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variables).toEqual([name]);
    expect((caught as ConfigError).message).toContain(`${name}=`);
  });

  it('refuses an unknown role or argument', () => {
    expect(() => loadConfig({}, ['--role=boss'])).toThrow(/--role="boss": must be one of web, worker, all/);
    expect(() => loadConfig({}, ['--verbose'])).toThrow(/unknown argument "--verbose"/);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }, []).port).toBe(3000);
  });
});
