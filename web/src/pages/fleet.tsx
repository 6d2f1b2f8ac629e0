import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type DragEvent, type FormEvent, useId, useState } from 'react';
import { Link } from 'wouter';
import { ApiError, download, get, post, postForm, query } from '../api.ts';
import { useFormats, usePreferences, useT } from '../locale.tsx';
import { useCursorPages } from '../paging.ts';
import { type Preview, previewFile } from '../preview.ts';
import { useSession } from '../session.tsx';
import type { UploadReport, Vehicle } from '../types.ts';
import { Badge, Card, Empty, ErrorMessage, Loading, Pager, TableScroll } from '../ui.tsx';

export default function Fleet() {
  const t = useT();
  const { may } = useSession();
  return (
    <div className="page">
      <h1>{t('fleet.title')}</h1>
      {may('fleet.write') ? <UploadCard /> : null}
      <VehiclesCard />
    </div>
  );
}

function UploadCard() {
  const t = useT();
  const client = useQueryClient();
  const inputId = useId();
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [mode, setMode] = useState<'replace' | 'merge'>('replace');
  const [dragging, setDragging] = useState(false);
  const [report, setReport] = useState<UploadReport | null>(null);
  const choose = async (chosen: File | undefined) => {
    if (!chosen) return;
    setFile(chosen);
    setReport(null);
    send.reset();
    apply.reset();
    setPreview(null);
    setPreview(await previewFile(chosen));
  };
  const send = useMutation({
    mutationFn: () => {
      const form = new FormData();
      form.append('mode', mode);
      form.append('file', file!);
      return postForm<UploadReport>('/uploads', form);
    },
    onSuccess: (r) => setReport(r),
  });
  const apply = useMutation({
    mutationFn: (skipInvalidRows: boolean) =>
      post<UploadReport>(`/uploads/${report!.id}/apply`, skipInvalidRows ? { skipInvalidRows } : {}),
    onSuccess: (r) => {
      setReport(r);
      client.invalidateQueries({ queryKey: ['vehicles'] });
      client.invalidateQueries({ queryKey: ['dashboard'] });
    },
    onError: (error) => {
      // The fleet changed since the preview: the server recomputed the diff; show it and let them apply again.
      if (error instanceof ApiError && error.code === 'upload.stale') {
        const upload = (error.details as { upload?: UploadReport } | null)?.upload;
        if (upload) setReport(upload);
      }
    },
  });
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    choose(event.dataTransfer.files[0]);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (file) send.mutate();
  };
  return (
    <Card title={t('fleet.upload_title')}>
      <form onSubmit={submit} className="form">
        <label
          htmlFor={inputId}
          className={`dropzone ${dragging ? 'dragging' : ''}`}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <span>{file ? file.name : t('fleet.drop_here')}</span>
          <span className="choose" aria-hidden="true">
            {file ? t('fleet.choose_other') : t('fleet.choose')}
          </span>
          <span className="hint">{t('fleet.file_types')}</span>
          <input
            id={inputId}
            type="file"
            name="file"
            accept=".csv,.xlsx,.txt,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            onChange={(e) => choose(e.target.files?.[0])}
          />
        </label>
        <fieldset className="inline">
          <legend>{t('fleet.mode')}</legend>
          <label>
            <input
              type="radio"
              name="mode"
              checked={mode === 'replace'}
              onChange={() => setMode('replace')}
            />{' '}
            {t('fleet.mode_replace')}
          </label>
          <label>
            <input type="radio" name="mode" checked={mode === 'merge'} onChange={() => setMode('merge')} />{' '}
            {t('fleet.mode_merge')}
          </label>
        </fieldset>
        {preview ? <PreviewTable preview={preview} /> : null}
        <div className="actions">
          <button type="submit" className="primary" disabled={!file || send.isPending}>
            {send.isPending ? t('fleet.checking') : t('fleet.check_file')}
          </button>
          <TemplateButton />
        </div>
        <ErrorMessage error={send.error} />
      </form>
      {report ? <UploadResult report={report} apply={apply} /> : null}
    </Card>
  );
}

function TemplateButton() {
  const t = useT();
  const [error, setError] = useState<unknown>(null);
  return (
    <>
      <button
        type="button"
        onClick={() => download('/uploads/template.xlsx', 'fleet-template.xlsx').catch(setError)}
      >
        {t('fleet.template')}
      </button>
      <ErrorMessage error={error} />
    </>
  );
}

function PreviewTable({ preview }: { preview: Preview }) {
  const t = useT();
  if (preview.problem) return <p className="muted">{t(`fleet.preview_${preview.problem}`)}</p>;
  const [header, ...rows] = preview.rows;
  if (!header) return <p className="muted">{t('fleet.preview_empty')}</p>;
  return (
    <TableScroll>
      <table className="preview">
        <caption>{t('fleet.preview_caption', { count: rows.length })}</caption>
        <thead>
          <tr>
            {header.map((h, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: columns are positional
              <th scope="col" key={i}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, r) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional
            <tr key={r}>
              {header.map((_, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: columns are positional
                <td key={i}>{row[i] ?? ''}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

function UploadResult({
  report,
  apply,
}: {
  report: UploadReport;
  apply: { mutate(skip: boolean): void; isPending: boolean; error: unknown };
}) {
  const t = useT();
  const f = useFormats();
  const { language } = usePreferences();
  const [skip, setSkip] = useState(false);
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const rejected = report.counts.invalid + report.counts.duplicate;
  const applied = report.status === 'applied';
  const needsSkip = report.mode === 'replace' && rejected > 0;
  return (
    <div className="upload-result" aria-live="polite">
      <h3>{applied ? t('fleet.applied') : t('fleet.report_title', { name: report.fileName })}</h3>
      <dl className="counts">
        <div>
          <dt>{t('fleet.rows')}</dt>
          <dd>{f.number(report.counts.rows)}</dd>
        </div>
        <div>
          <dt>{t('fleet.valid')}</dt>
          <dd>{f.number(report.counts.valid)}</dd>
        </div>
        <div>
          <dt>{t('fleet.rejected')}</dt>
          <dd>{f.number(rejected)}</dd>
        </div>
        <div>
          <dt>{t('fleet.warnings')}</dt>
          <dd>{f.number(report.counts.warnings)}</dd>
        </div>
      </dl>
      <h4>{t('fleet.diff')}</h4>
      <ul className="diff">
        <li>{t('fleet.diff_added', { count: report.diff.added })}</li>
        <li>{t('fleet.diff_removed', { count: report.diff.removed })}</li>
        <li>{t('fleet.diff_changed', { count: report.diff.changed })}</li>
        <li>{t('fleet.diff_unchanged', { count: report.diff.unchanged })}</li>
      </ul>
      {report.errors.length > 0 ? (
        <>
          <h4>{t('fleet.errors')}</h4>
          <IssueTable issues={report.errors} language={language} />
          {report.errorsTruncated ? <p className="muted">{t('fleet.truncated')}</p> : null}
          <button
            type="button"
            onClick={() =>
              download(`/uploads/${report.id}/errors.xlsx`, 'errors.xlsx').catch(setDownloadError)
            }
          >
            {t('fleet.errors_file')}
          </button>
          <ErrorMessage error={downloadError} />
        </>
      ) : null}
      {report.warnings.length > 0 ? (
        <details>
          <summary>{t('fleet.warnings_list', { count: report.warnings.length })}</summary>
          <IssueTable issues={report.warnings} language={language} />
        </details>
      ) : null}
      {applied ? (
        <p role="status" className="ok">
          {report.outcome === 'already_applied' ? t('fleet.already_applied') : t('fleet.applied_text')}{' '}
          <Link href="/runs">{t('fleet.go_run')}</Link>
        </p>
      ) : (
        <div className="apply">
          {needsSkip ? (
            <label className="confirm">
              <input type="checkbox" checked={skip} onChange={(e) => setSkip(e.target.checked)} />{' '}
              {t('fleet.skip_confirm', { count: rejected })}
            </label>
          ) : null}
          <button
            type="button"
            className="primary"
            disabled={apply.isPending || (needsSkip && !skip) || report.counts.valid === 0}
            onClick={() => apply.mutate(needsSkip && skip)}
          >
            {t('fleet.apply')}
          </button>
          <ErrorMessage error={apply.error} />
        </div>
      )}
    </div>
  );
}

function IssueTable({ issues, language }: { issues: UploadReport['errors']; language: 'ar' | 'en' }) {
  const t = useT();
  const f = useFormats();
  return (
    <TableScroll>
      <table className="issues">
        <thead>
          <tr>
            <th scope="col">{t('fleet.row')}</th>
            <th scope="col">{t('fleet.column')}</th>
            <th scope="col">{t('fleet.reason')}</th>
          </tr>
        </thead>
        <tbody>
          {issues.map((e, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: one row may hold several issues
            <tr key={`${e.row}-${i}`}>
              <td className="num">{f.number(e.row)}</td>
              <td>{e.column ?? '—'}</td>
              <td>{language === 'ar' ? e.messageAr : e.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

function VehiclesCard() {
  const t = useT();
  const f = useFormats();
  const { may } = useSession();
  const [q, setQ] = useState('');
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState<'active' | 'removed' | 'all'>('active');
  const pages = useCursorPages();
  const vehicles = useQuery({
    queryKey: ['vehicles', search, status, pages.after],
    queryFn: () =>
      get<{ vehicles: Vehicle[]; nextCursor: string | null }>(
        `/vehicles${query({ q: search, status, limit: 50, after: pages.after })}`,
      ),
    placeholderData: (previous) => previous,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    pages.reset();
    setSearch(q.trim());
  };
  return (
    <Card title={t('fleet.vehicles')}>
      <form className="filters" onSubmit={submit}>
        <label>
          {t('fleet.search')}
          <input
            type="search"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            placeholder={t('fleet.search_hint')}
          />
        </label>
        <label>
          {t('fleet.status')}
          <select
            value={status}
            onChange={(e) => {
              pages.reset();
              setStatus(e.target.value as typeof status);
            }}
          >
            <option value="active">{t('fleet.status_active')}</option>
            <option value="removed">{t('fleet.status_removed')}</option>
            <option value="all">{t('fleet.status_all')}</option>
          </select>
        </label>
        <button type="submit">{t('fleet.search_button')}</button>
      </form>
      {vehicles.isPending ? (
        <Loading />
      ) : vehicles.isError ? (
        <ErrorMessage error={vehicles.error} />
      ) : vehicles.data.vehicles.length === 0 ? (
        <Empty title={search ? t('fleet.no_match') : t('fleet.no_vehicles')}>
          {!search && may('fleet.write') ? <p>{t('fleet.no_vehicles_next')}</p> : null}
        </Empty>
      ) : (
        <>
          <TableScroll>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('violations.plate')}</th>
                  <th scope="col">{t('fleet.label')}</th>
                  <th scope="col">{t('fleet.driver')}</th>
                  <th scope="col">{t('fleet.cost_centre')}</th>
                  <th scope="col">{t('fleet.status')}</th>
                </tr>
              </thead>
              <tbody>
                {vehicles.data.vehicles.map((v) => (
                  <tr key={v.id}>
                    <td>
                      <Link href={`/vehicles/${v.id}`} dir="ltr">
                        {v.plateDisplay}
                      </Link>
                    </td>
                    <td>{v.label ?? ''}</td>
                    <td>{v.driver ?? ''}</td>
                    <td>{v.costCentre ?? ''}</td>
                    <td>
                      {v.active ? (
                        <Badge kind="ok">{t('fleet.status_active')}</Badge>
                      ) : (
                        <Badge kind="muted">
                          {t('fleet.removed_on', { date: f.date(v.activeUntil ?? v.activeFrom) })}
                        </Badge>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
          <Pager
            page={pages.page}
            hasNext={Boolean(vehicles.data.nextCursor)}
            onPrevious={pages.previous}
            onNext={() => pages.next(vehicles.data?.nextCursor)}
          />
        </>
      )}
    </Card>
  );
}
