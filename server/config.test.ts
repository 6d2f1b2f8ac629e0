import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('gives working defaults for the embedded quick start', () => {
    const config = loadConfig({}, []);
    expect(config.role).toBe('all');
    expect(config.port).toBe(3000);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.embeddedPgDir).toMatch(/\.data\/pg$/);
    expect(config.maintenance).toEqual({
      cron: '30 3 * * *',
      tz: 'Asia/Amman',
      retention: {
        answersDays: 3,
        lookupsDays: 14,
        importFilesDays: 35,
        runChangesDays: 400,
        jobsDays: 2,
        uploadRowsDays: 7,
        throttledSignInsDays: 90,
      },
    });
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

  it('creates demo data only on a loopback address: the embedded quick start, or DEMO=true', () => {
    expect(loadConfig({}, []).demo).toBe(true);
    expect(loadConfig({ DEMO: 'false' }, []).demo).toBe(false);
    const external = {
      DATABASE_URL: 'postgres://db/fleet',
      APP_DATABASE_PASSWORD: 'app-password-0123456789',
      QUEUE_DATABASE_PASSWORD: 'queue-password-0123456789',
    };
    expect(loadConfig(external, []).demo).toBe(false);
    expect(loadConfig({ ...external, DEMO: 'true' }, []).demo).toBe(true);
    // The container's embedded database listens on every address: no demo users there.
    expect(loadConfig({ HOST: '0.0.0.0' }, []).demo).toBe(false);
    expect(() => loadConfig({ HOST: '0.0.0.0', DEMO: 'true' }, [])).toThrow(ConfigError);
    expect(() => loadConfig({ HOST: '192.0.2.10', DEMO: 'true' }, [])).toThrow(
      /DEMO=true with HOST="192.0.2.10"/,
    );
    expect(loadConfig({ HOST: '::1', DEMO: 'true' }, []).demo).toBe(true);
  });

  it('makes cookies secure unless the server listens on loopback', () => {
    expect(loadConfig({}, []).auth.cookieSecure).toBe(false);
    expect(loadConfig({ HOST: '0.0.0.0' }, []).auth.cookieSecure).toBe(true);
    expect(loadConfig({ HOST: '0.0.0.0', COOKIE_SECURE: 'false' }, []).auth.cookieSecure).toBe(false);
    expect(loadConfig({ COOKIE_SECURE: 'true' }, []).auth.cookieSecure).toBe(true);
  });

  it('reads TRUST_PROXY and refuses to trust every proxy', () => {
    expect(loadConfig({}, []).trustProxy).toBe('loopback');
    expect(loadConfig({ TRUST_PROXY: 'false' }, []).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }, []).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, fd00::/8, loopback' }, []).trustProxy).toBe(
      '10.0.0.0/8,fd00::/8,loopback',
    );
    for (const bad of ['true', '10.0.0.0/33', 'proxy.example']) {
      expect(() => loadConfig({ TRUST_PROXY: bad }, []), bad).toThrow(/TRUST_PROXY=/);
    }
  });

  it('never prints a password from DATABASE_URL (or any secret) in a configuration error', () => {
    for (const [env, secret] of [
      [{ DATABASE_URL: 'mysql://fleet:s3cret-pw@db:5432/fleet' }, 's3cret-pw'],
      [{ DATABASE_URL: 'postgres://fleet:s3cret-pw@db:5432/fleet', PORT: 'eighty' }, 's3cret-pw'],
      [{ DATABASE_URL: 'postgres:/db?password=s3cret-pw' }, 's3cret-pw'],
    ] as const) {
      let message = '';
      try {
        loadConfig(env, []);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/invalid configuration/);
      expect(message).not.toContain(secret);
    }
    let message = '';
    try {
      loadConfig({ DATABASE_URL: 'mysql://fleet:s3cret-pw@db/fleet' }, []);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('DATABASE_URL="mysql://fleet:***@db/fleet"');
  });
});
