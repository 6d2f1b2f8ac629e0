import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.ts';
import { retryAt } from './alerts.settings.ts';

describe('alert settings in the shared config', () => {
  it('come from the env object given to loadConfig, with defaults', () => {
    const alerts = loadConfig(
      { ALERTS_MAX_ATTEMPTS: '2', ALERTS_SMS_URL: 'https://sms.example.com/send', ALERTS_SMS_API_KEY: 'k' },
      [],
    ).alerts;
    expect(alerts).toMatchObject({
      smtpUrl: undefined,
      smsUrl: 'https://sms.example.com/send',
      smsApiKey: 'k',
      timeoutMs: 10_000,
      retry: { maxAttempts: 2, baseSeconds: 30, maxSeconds: 3600 },
      smsMaxSegments: 3,
      localSmtpPort: 2525,
    });
  });

  it('allow private webhook addresses on the demo quick start, elsewhere only when asked', () => {
    expect(loadConfig({}, []).alerts.webhookAllowPrivate).toBe(true);
    expect(loadConfig({ DEMO: 'false' }, []).alerts.webhookAllowPrivate).toBe(false);
    expect(loadConfig({ ALERTS_WEBHOOK_ALLOW_PRIVATE: 'false' }, []).alerts.webhookAllowPrivate).toBe(false);
    expect(
      loadConfig({ DEMO: 'false', ALERTS_WEBHOOK_ALLOW_PRIVATE: 'true' }, []).alerts.webhookAllowPrivate,
    ).toBe(true);
  });

  it.each([
    [{ ALERTS_SMTP_URL: 'http://mail.example.com' }, 'ALERTS_SMTP_URL'],
    [{ ALERTS_MAX_ATTEMPTS: 'many' }, 'ALERTS_MAX_ATTEMPTS'],
    [{ ALERTS_WEBHOOK_ALLOW_PRIVATE: 'perhaps' }, 'ALERTS_WEBHOOK_ALLOW_PRIVATE'],
  ])('refuses %o and names %s, hiding secrets', (env, name) => {
    let caught: unknown;
    try {
      loadConfig({ ...env, ALERTS_SMS_API_KEY: 'secret-key' }, []);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variables).toEqual([name]);
    expect((caught as ConfigError).message).toContain(name);
    expect((caught as ConfigError).message).not.toContain('secret-key');
  });

  it('backs off doubling up to the cap, then gives up', () => {
    const policy = { maxAttempts: 4, baseSeconds: 30, maxSeconds: 90 };
    const now = new Date('2026-06-01T00:00:00Z');
    expect(retryAt(now, 1, policy)?.toISOString()).toBe('2026-06-01T00:00:30.000Z');
    expect(retryAt(now, 3, policy)?.toISOString()).toBe('2026-06-01T00:01:30.000Z');
    expect(retryAt(now, 4, policy)).toBeNull();
  });
});
