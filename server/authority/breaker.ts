/**
 * Circuit breaker as a pure state machine plus a small holder. Closed counts consecutive
 * failures; at the threshold it opens and refuses calls; after the cooldown one probe is let
 * through (half-open); the probe's success closes it, its failure opens it again.
 * Outcomes are `success`, `failure`, or `neutral` (e.g. 429: the authority is up, we were early).
 */
export interface BreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
}

export type BreakerState =
  | { kind: 'closed'; failures: number }
  | { kind: 'open'; openedAt: number }
  | { kind: 'half_open'; probing: boolean };

export type BreakerOutcome = 'success' | 'failure' | 'neutral';

export type BreakerPermit = { allowed: true; probe: boolean } | { allowed: false; retryInMs: number };

export const closedBreaker: BreakerState = { kind: 'closed', failures: 0 };

export function breakerRequest(
  state: BreakerState,
  now: number,
  options: BreakerOptions,
): { state: BreakerState; permit: BreakerPermit } {
  switch (state.kind) {
    case 'closed':
      return { state, permit: { allowed: true, probe: false } };
    case 'open': {
      const remaining = state.openedAt + options.cooldownMs - now;
      if (remaining > 0) return { state, permit: { allowed: false, retryInMs: remaining } };
      return { state: { kind: 'half_open', probing: true }, permit: { allowed: true, probe: true } };
    }
    case 'half_open':
      if (state.probing) return { state, permit: { allowed: false, retryInMs: options.cooldownMs } };
      return { state: { kind: 'half_open', probing: true }, permit: { allowed: true, probe: true } };
  }
}

export function breakerRecord(
  state: BreakerState,
  outcome: BreakerOutcome,
  probe: boolean,
  now: number,
  options: BreakerOptions,
): BreakerState {
  if (state.kind === 'half_open') {
    // Only the probe's outcome decides; answers to calls made before the breaker opened do not.
    if (!probe) return state;
    if (outcome === 'success') return closedBreaker;
    if (outcome === 'failure') return { kind: 'open', openedAt: now };
    return { kind: 'half_open', probing: false };
  }
  if (state.kind === 'open') return state;
  if (outcome === 'success') return closedBreaker;
  if (outcome === 'neutral') return state;
  const failures = state.failures + 1;
  return failures >= options.failureThreshold
    ? { kind: 'open', openedAt: now }
    : { kind: 'closed', failures };
}

export class CircuitBreaker {
  readonly options: BreakerOptions;
  readonly #now: () => number;
  #state: BreakerState = closedBreaker;

  constructor(options: BreakerOptions, now: () => number = () => performance.now()) {
    this.options = options;
    this.#now = now;
  }

  get state(): BreakerState {
    return this.#state;
  }

  request(): BreakerPermit {
    const { state, permit } = breakerRequest(this.#state, this.#now(), this.options);
    this.#state = state;
    return permit;
  }

  record(outcome: BreakerOutcome, probe: boolean): void {
    this.#state = breakerRecord(this.#state, outcome, probe, this.#now(), this.options);
  }
}
