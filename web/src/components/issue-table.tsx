import { useFormats, useT } from '../locale.tsx';
import type { UploadIssue } from '../types.ts';
import { TableScroll } from '../ui.tsx';

/** A refused file's problems, row by row: the row, the column and why, in the page's language. */
export function IssueTable({ issues, language }: { issues: readonly UploadIssue[]; language: 'ar' | 'en' }) {
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
