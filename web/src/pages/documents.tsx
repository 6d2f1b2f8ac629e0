import { useState } from 'react';
import { download } from '../api.ts';
import { useT } from '../locale.tsx';
import { ErrorMessage } from '../ui.tsx';

export interface DocumentLink {
  /** The API path after /api/v1, with its query. */
  path: string;
  fallbackName: string;
  label: string;
}

/**
 * Buttons that fetch documents with the account header and save them. A document still being
 * rendered (202) is said in words ("being prepared, try again shortly"), never saved as a file.
 */
export function DocumentButtons({
  documents,
  label,
  compact = false,
}: {
  documents: DocumentLink[];
  label: string;
  /** In a table's cell: the legend is for screen readers only. */
  compact?: boolean;
}) {
  const t = useT();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const fetchDocument = async (d: DocumentLink) => {
    setBusy(d.path);
    setError(null);
    try {
      await download(d.path, d.fallbackName);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };
  return (
    <div>
      <fieldset className="inline">
        <legend className={compact ? 'visually-hidden' : undefined}>{label}</legend>
        {documents.map((d) => (
          <button
            key={d.path}
            type="button"
            onClick={() => fetchDocument(d)}
            disabled={busy !== null}
            aria-busy={busy === d.path}
          >
            {busy === d.path ? t('documents.downloading') : d.label}
          </button>
        ))}
      </fieldset>
      <ErrorMessage error={error} />
    </div>
  );
}

/** The run's statement: XLSX and PDF, each in Arabic and English. */
export function runStatementDocuments(t: (id: string) => string, runId: string): DocumentLink[] {
  return (['xlsx', 'pdf'] as const).flatMap((format) =>
    (['ar', 'en'] as const).map((lang) => ({
      path: `/runs/${runId}/statement.${format}?lang=${lang}`,
      fallbackName: `run-${runId}-statement-${lang}.${format}`,
      label: t(`documents.${format}_${lang}`),
    })),
  );
}
