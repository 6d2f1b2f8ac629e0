import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { ApiError, get, post, postForm, query } from '../api.ts';
import { EmptyState } from '../components/empty-state.tsx';
import { useFormats, useT } from '../locale.tsx';
import { useSession } from '../session.tsx';
import type { Run } from '../types.ts';
import { Card, ErrorMessage, Loading, TableScroll } from '../ui.tsx';
import { RunStatus } from './run-parts.tsx';

const PAGE = 25;

export default function Runs() {
  const t = useT();
  const { account, may } = useSession();
  const f = useFormats(account);
  const [before, setBefore] = useState<string[]>([]);
  const runs = useQuery({
    queryKey: ['runs', before.at(-1)],
    queryFn: () => get<{ runs: Run[] }>(`/runs${query({ limit: PAGE, before: before.at(-1) })}`),
    placeholderData: (previous) => previous,
  });
  return (
    <div className="page">
      <h1>{t('runs.title')}</h1>
      {may('runs.start') ? <StartRun /> : null}
      <Card title={t('runs.history')}>
        {runs.isPending ? (
          <Loading />
        ) : runs.isError ? (
          <ErrorMessage error={runs.error} />
        ) : runs.data.runs.length === 0 ? (
          <EmptyState title={t('runs.none')}>
            <p>{may('runs.start') ? t('runs.none_next') : t('runs.none_wait')}</p>
          </EmptyState>
        ) : (
          <>
            <TableScroll>
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('runs.run')}</th>
                    <th scope="col">{t('runs.kind')}</th>
                    <th scope="col">{t('runs.started')}</th>
                    <th scope="col">{t('runs.status')}</th>
                    <th scope="col" className="num">
                      {t('runs.outstanding')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {runs.data.runs.map((r) => (
                    <tr key={r.id}>
                      <td>
                        <Link href={`/runs/${r.id}`}>{t('runs.run_number', { id: r.id })}</Link>
                      </td>
                      <td>
                        {t(`run_kind.${r.kind}`)}
                        {r.localNight ? (
                          <span className="muted"> · {f.date(`${r.localNight}T12:00:00Z`)}</span>
                        ) : null}
                      </td>
                      <td>{f.dateTime(r.createdAt)}</td>
                      <td>
                        <RunStatus run={r} />
                      </td>
                      <td className="num">{r.summary ? f.money(r.summary.outstanding.amountMinor) : '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
            <nav className="pager" aria-label={t('common_ui.pages')}>
              <button
                type="button"
                disabled={before.length === 0}
                onClick={() => setBefore((b) => b.slice(0, -1))}
              >
                {t('common_ui.newer')}
              </button>
              <button
                type="button"
                disabled={runs.data.runs.length < PAGE}
                onClick={() => setBefore((b) => [...b, runs.data!.runs.at(-1)!.id])}
              >
                {t('common_ui.older')}
              </button>
            </nav>
          </>
        )}
      </Card>
    </div>
  );
}

function StartRun() {
  const t = useT();
  const client = useQueryClient();
  const [, navigate] = useLocation();
  const [file, setFile] = useState<File | null>(null);
  const [covers, setCovers] = useState(false);
  const started = (run: Run) => {
    client.invalidateQueries({ queryKey: ['runs'] });
    client.invalidateQueries({ queryKey: ['dashboard'] });
    navigate(`/runs/${run.id}`);
  };
  const start = useMutation({ mutationFn: () => post<Run>('/runs'), onSuccess: started });
  const importFile = useMutation({
    mutationFn: () => {
      const form = new FormData();
      if (covers) form.append('coversAllPlates', 'true');
      form.append('file', file!);
      return postForm<Run>('/runs/import', form);
    },
    onSuccess: started,
  });
  const running = (error: unknown) =>
    error instanceof ApiError && error.code === 'run_in_progress'
      ? ((error.details as { runId?: string } | null)?.runId ?? null)
      : null;
  const busy = running(start.error) ?? running(importFile.error);
  const submitImport = (event: FormEvent) => {
    event.preventDefault();
    if (file) importFile.mutate();
  };
  return (
    <div className="grid two">
      <Card title={t('runs.start_title')}>
        <p className="muted">{t('runs.start_text')}</p>
        <button type="button" className="primary" onClick={() => start.mutate()} disabled={start.isPending}>
          {t('runs.start')}
        </button>
        <ErrorMessage error={start.error} />
        {busy ? <Link href={`/runs/${busy}`}>{t('runs.see_running')}</Link> : null}
      </Card>
      <Card title={t('runs.import_title')}>
        <form className="form" onSubmit={submitImport}>
          <p className="muted">{t('runs.import_text')}</p>
          <label>
            {t('runs.import_file')}
            <input
              type="file"
              accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            />
          </label>
          <label className="confirm">
            <input type="checkbox" checked={covers} onChange={(e) => setCovers(e.target.checked)} />{' '}
            {t('runs.covers_all')}
          </label>
          <button type="submit" disabled={!file || importFile.isPending}>
            {t('runs.import')}
          </button>
          <ErrorMessage error={importFile.error} />
        </form>
      </Card>
    </div>
  );
}
