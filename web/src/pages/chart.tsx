import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/**
 * Outstanding amount after each night, drawn by uPlot (a small, well-kept canvas chart). Values
 * are major units for the axis only; the exact amounts are in the table beside it.
 */
export default function OutstandingChart({
  labels,
  values,
  formatValue,
  title,
}: {
  labels: string[];
  values: number[];
  formatValue(v: number): string;
  title: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = labels.map((_, i) => i);
    const plot = new uPlot(
      {
        width: el.clientWidth || 300,
        height: 180,
        legend: { show: false },
        cursor: { show: true, drag: { x: false, y: false } },
        scales: { x: { time: false, range: [-0.5, Math.max(xs.length - 0.5, 0.5)] } },
        axes: [
          {
            // One tick per night, never between nights.
            splits: () => xs,
            values: (_u, ticks) => ticks.map((i) => labels[i] ?? ''),
            stroke: '#45505c',
          },
          { values: (_u, ticks) => ticks.map(formatValue), size: 110, stroke: '#45505c' },
        ],
        series: [
          {},
          { label: title, stroke: '#0b5cad', width: 2, fill: 'rgba(11,92,173,0.12)', points: { size: 6 } },
        ],
      },
      [xs, values],
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth || 300, height: 180 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [labels, values, formatValue, title]);
  return <div ref={box} className="chart" role="img" aria-label={title} />;
}
