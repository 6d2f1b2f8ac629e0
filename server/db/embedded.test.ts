import { describe, expect, it } from 'vitest';
import { sharedBuffersFor } from './embedded.ts';

const GB = 1024 ** 3;

describe('the embedded server buffer cache', () => {
  it('is an eighth of the memory, kept between 128 MB and 512 MB', () => {
    expect(sharedBuffersFor(0.5 * GB)).toBe('128MB');
    expect(sharedBuffersFor(2 * GB)).toBe('256MB');
    expect(sharedBuffersFor(24 * GB)).toBe('512MB');
  });
});
