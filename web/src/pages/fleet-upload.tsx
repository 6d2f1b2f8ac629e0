import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type DragEvent, type FormEvent, useId, useState } from 'react';
import { Link } from 'wouter';
import { ApiError, download, post, postForm } from '../api.ts';
import { IssueTable } from '../components/issue-table.tsx';
import { useFormats, usePreferences, useT } from '../locale.tsx';
import { type Preview, previewFile } from '../preview.ts';
import type { UploadReport } from '../types.ts';
import { Card, ErrorMessage, TableScroll } from '../ui.tsx';

/** Upload a vehicle list: preview in the browser, the server's report and diff, then apply. */
export function UploadCard() {
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
  // A title row or two often sits above the header: the header is the first row as wide as any.
  const filled = (row: string[]) => row.filter((c) => c.trim() !== '').length;
  const widest = Math.max(0, ...preview.rows.map(filled));
  const headerAt = preview.rows.findIndex((row) => filled(row) === widest);
  const header = preview.rows[headerAt];
  const rows = preview.rows.slice(headerAt + 1);
  if (!header || widest === 0) return <p className="muted">{t('fleet.preview_empty')}</p>;
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
