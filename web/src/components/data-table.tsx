import type { ReactNode } from 'react';
import { TableScroll } from '../ui.tsx';

export interface Column<Row> {
  /** Unique among the table's columns. */
  key: string;
  header: ReactNode;
  cell(row: Row): ReactNode;
  /** Right-aligned figures (amounts, counts). */
  numeric?: boolean;
  /** An amount's minor units, kept on the cell so tests and tools read the exact figure. */
  minor?(row: Row): string;
  className?: string;
}

/** A table of rows in a box that scrolls sideways on a phone; columns say how each cell reads. */
export function DataTable<Row>({
  rows,
  columns,
  rowKey,
  testId,
  caption,
  footer,
}: {
  rows: readonly Row[];
  columns: ReadonlyArray<Column<Row>>;
  rowKey(row: Row): string;
  testId?: string;
  caption?: string;
  footer?: ReactNode;
}) {
  const cellClass = (c: Column<Row>) =>
    [c.numeric ? 'num' : '', c.className ?? ''].filter(Boolean).join(' ') || undefined;
  return (
    <TableScroll>
      <table data-testid={testId}>
        {caption ? <caption className="visually-hidden">{caption}</caption> : null}
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} scope="col" className={c.numeric ? 'num' : undefined}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} data-key={rowKey(row)}>
              {columns.map((c) => (
                <td key={c.key} className={cellClass(c)} data-minor={c.minor?.(row)}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
        {footer ? <tfoot>{footer}</tfoot> : null}
      </table>
    </TableScroll>
  );
}
