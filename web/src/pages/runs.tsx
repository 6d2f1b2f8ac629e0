import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { ApiError, get, post, postForm, query } from '../api.ts';
import { type Column, DataTable } from '../components/data-table.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { QueryList } from '../components/query-list.tsx';
import { useFormats, useT } from '../locale.tsx';
import { useCursorPages } from '../paging.ts';
import { useSession } from '../session.tsx';
import type { Run } from '../types.ts';
import { Card, ErrorMessage } from '../ui.tsx';
import { RunStatus } from './run-parts.tsx';

const PAGE = 25;

export default function Runs() {
  const t = useT();
  const { account, may } = useSession();
  const f = useFormats(account);
  const pages = useCursorPages();
  const runs = useQuery({
    queryKey: ['runs', pages.after],
    queryFn: () => get<{ runs: Run[] }>(`/runs${query({ limit: PAGE, before: pages.after })}`),
    placeholderData: (previous) => previous,
  });
  const columns: Column<Run>[] = [
    {
      key: 'run',
      header: t('runs.run'),
      cell: (r) => <Link href={`/runs/${r.id}`}>{t('runs.run_number', { id: r.id })}</Link>,
    },
    {
      key: 'kind',
      header: t('runs.kind'),
      cell: (r) => (
        <>
          {t(`run_kind.${r.kind}`)}
          {r.localNight ? <span className="muted"> · {f.date(`${r.localNight}T12:00:00Z`)}</span> : null}
        </>
      ),
    },
    { key: 'started', header: t('runs.started'), cell: (r) => f.dateTime(r.createdAt) },
    { key: 'status', header: t('runs.status'), cell: (r) => <RunStatus run={r} /> },
    {
      key: 'outstanding',
      header: t('runs.outstanding'),
      numeric: true,
      cell: (r) => (r.summary ? f.money(r.summary.outstanding.amountMinor) : '—'),
    },
  ];
  return (
    <div className="page">
      <h1>{t('runs.title')}</h1>
      {may('runs.start') ? <StartRun /> : null}
      <Card title={t('runs.history')}>
        <QueryList
          query={runs}
          rows={(d) => d.runs}
          // The history pages by the oldest run shown; a short page is the last.
          nextCursor={(d) => (d.runs.length < PAGE ? null : d.runs.at(-1)?.id)}
          pages={pages}
          empty={
            <EmptyState title={t('runs.none')}>
              <p>{may('runs.start') ? t('runs.none_next') : t('runs.none_wait')}</p>
            </EmptyState>
          }
        >
          {(rows) => <DataTable rows={rows} columns={columns} rowKey={(r) => r.id} testId="runs" />}
        </QueryList>
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
          {/* The native chooser's words are the browser's language, not the page's: the label speaks instead. */}
          <label className="dropzone">
            <span>{t('runs.import_file')}</span>
            {file ? <span dir="auto">{file.name}</span> : null}
            <span className="choose" aria-hidden="true">
              {file ? t('fleet.choose_other') : t('fleet.choose')}
            </span>
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
