import { useEffect, useState } from 'react';
import type { Run } from './types.ts';
import { finished } from './types.ts';

/**
 * A run's live progress from GET /runs/{id}/events (text/event-stream). Read with fetch, not
 * EventSource, because the account travels in the x-account-id header, which EventSource cannot
 * send. Ends when the run ends or the page goes.
 */
export function useRunEvents(runId: string, accountId: string | undefined, initial: Run | undefined) {
  const [run, setRun] = useState<Run | undefined>(initial);
  const live = initial !== undefined && !finished(initial);
  useEffect(() => {
    if (!live || !accountId) return;
    const abort = new AbortController();
    (async () => {
      const res = await fetch(`/api/v1/runs/${runId}/events`, {
        credentials: 'same-origin',
        headers: { accept: 'text/event-stream', 'x-account-id': accountId },
        signal: abort.signal,
      });
      if (!res.ok || !res.body) return;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event === 'progress' && data) setRun(JSON.parse(data) as Run);
          cut = buffer.indexOf('\n\n');
        }
      }
    })().catch(() => undefined);
    return () => abort.abort();
  }, [runId, accountId, live]);
  return run ?? initial;
}
