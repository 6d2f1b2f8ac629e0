import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './breaker.ts';

function setup() {
  let now = 0;
  const breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1000 }, () => now);
  return { breaker, advance: (ms: number) => (now += ms) };
}

function fail(breaker: CircuitBreaker, times: number) {
  for (let i = 0; i < times; i++) {
    const permit = breaker.request();
    if (!permit.allowed) throw new Error('refused');
    breaker.record('failure', permit.probe);
  }
}

describe('CircuitBreaker', () => {
  it('opens after K consecutive failures and refuses until the cooldown', () => {
    const { breaker, advance } = setup();
    fail(breaker, 2);
    expect(breaker.state).toEqual({ kind: 'closed', failures: 2 });
    fail(breaker, 1);
    expect(breaker.state.kind).toBe('open');
    advance(400);
    expect(breaker.request()).toEqual({ allowed: false, retryInMs: 600 });
  });

  it('a success resets the count; 429-style neutral outcomes do not count', () => {
    const { breaker } = setup();
    fail(breaker, 2);
    breaker.record('neutral', false);
    expect(breaker.state).toEqual({ kind: 'closed', failures: 2 });
    breaker.record('success', false);
    fail(breaker, 2);
    expect(breaker.state).toEqual({ kind: 'closed', failures: 2 });
  });

  it('lets exactly one probe through after the cooldown; its success closes the circuit', () => {
    const { breaker, advance } = setup();
    fail(breaker, 3);
    advance(1000);
    const probe = breaker.request();
    expect(probe).toEqual({ allowed: true, probe: true });
    expect(breaker.request().allowed).toBe(false);
    breaker.record('success', false); // a late answer to an older call decides nothing
    expect(breaker.state.kind).toBe('half_open');
    breaker.record('success', true);
    expect(breaker.state).toEqual({ kind: 'closed', failures: 0 });
  });

  it('a failed probe opens it again for a full cooldown; a neutral probe allows another probe', () => {
    const { breaker, advance } = setup();
    fail(breaker, 3);
    advance(1000);
    const probe = breaker.request();
    expect(probe).toEqual({ allowed: true, probe: true });
    breaker.record('failure', true);
    expect(breaker.state.kind).toBe('open');
    expect(breaker.request().allowed).toBe(false);
    advance(1000);
    expect(breaker.request()).toEqual({ allowed: true, probe: true });
    breaker.record('neutral', true);
    expect(breaker.state).toEqual({ kind: 'half_open', probing: false });
    expect(breaker.request()).toEqual({ allowed: true, probe: true });
  });
});
