/**
 * Loaded into a product process with `node --import` by the statements bench: measures the
 * process's event-loop delay and writes it (p99 and max, in ms, since the last SIGUSR2) to
 * LOOP_DELAY_FILE four times a second. SIGUSR2 starts a new measurement.
 */
import fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.LOOP_DELAY_FILE;
if (file) {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  process.on('SIGUSR2', () => histogram.reset());
  const timer = setInterval(() => {
    const figures = {
      p99Ms: histogram.count > 0 ? histogram.percentile(99) / 1e6 : 0,
      maxMs: histogram.count > 0 ? histogram.max / 1e6 : 0,
      samples: histogram.count,
    };
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(figures));
    fs.renameSync(`${file}.tmp`, file);
  }, 250);
  timer.unref();
}
