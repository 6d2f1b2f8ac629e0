/**
 * A4 pages for issued documents, laid out ahead: every table row is one line high (a text too long
 * for its cell is cut with an ellipsis), so the number of pages is known before the first is drawn
 * and each page can say "page X of Y" as it is written, without holding the document in memory.
 * Tables repeat their title and header on every page. Right-to-left documents lay columns out from
 * the right edge. Text goes through pdf-text.ts (bidi runs), in the Amiri font.
 */
import PDFDocument from 'pdfkit';
import type { DocumentOutput } from './documents.service.ts';
import { registerFonts } from './pdf-fonts.ts';
import { type Direction, drawLine, fitText, rememberShaping } from './pdf-text.ts';

export const PAGE = { width: 595.28, height: 841.89, margin: 36 } as const;
const FOOTER_HEIGHT = 24;
/** One line of a table. */
export const ROW_HEIGHT = 14;
const TABLE_FONT_SIZE = 8.5;
const TITLE_HEIGHT = 24;
/** The lowest y a table row may start at. */
const BODY_BOTTOM = PAGE.height - PAGE.margin - FOOTER_HEIGHT;
const CONTENT_WIDTH = PAGE.width - 2 * PAGE.margin;

export interface TableColumn {
  header: string;
  /** Share of the content width (columns' weights are normalised). */
  weight: number;
  align?: 'start' | 'end' | 'center';
}

/** Table rows of `rowHeight` points that fit one page under its title and header. */
export const rowsPerPage = (rowHeight = ROW_HEIGHT) =>
  Math.floor((BODY_BOTTOM - PAGE.margin - TITLE_HEIGHT - ROW_HEIGHT) / rowHeight);

/** Pages a table of `rows` rows takes (an empty table still takes one, saying so). */
export const tablePages = (rows: number, rowHeight = ROW_HEIGHT) =>
  Math.max(1, Math.ceil(rows / rowsPerPage(rowHeight)));

export interface CellBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface TableOptions {
  /** Each row's height in points: one line of text unless a column draws something taller. */
  rowHeight?: number;
  /** Draws a cell itself (a barcode, say) and answers true; false leaves it to be drawn as text. */
  drawCell?: (column: number, cell: string, box: CellBox) => boolean;
}

export interface PagedPdfOptions {
  base: Direction;
  /** Every page's footer: the document's name and "page X of Y". */
  footer: (page: number, pages: number) => { left: string; right: string };
  totalPages: number;
  title: string;
  createdAt: Date;
  /** Where the bytes go as they are written; without one the document is held for `finish`. */
  output?: DocumentOutput;
}

/** A pdfkit object reference; `offset` is set once the object has been written. */
interface WrittenReference {
  data: Record<string, unknown>;
  offset?: number;
}

/**
 * A document written page by page, into its output (storage, a part at a time, between pages of
 * rows) or into memory-light chunks that `finish` answers.
 */
export class PagedPdf {
  readonly doc: PDFKit.PDFDocument;
  readonly base: Direction;
  y: number = PAGE.margin;
  private page = 0;
  private readonly options: PagedPdfOptions;
  private readonly chunks: Buffer[] = [];
  private readonly done: Promise<void>;

  constructor(options: PagedPdfOptions) {
    this.options = options;
    this.base = options.base;
    this.doc = new PDFDocument({
      size: 'A4',
      margin: PAGE.margin,
      autoFirstPage: false,
      // Fixed metadata: the same content renders to the same bytes.
      info: {
        Title: options.title,
        Producer: 'Fleet fines',
        Creator: 'Fleet fines',
        CreationDate: options.createdAt,
      },
      lang: options.base === 'rtl' ? 'ar' : 'en',
    });
    registerFonts(this.doc);
    rememberShaping(this.doc, 'regular');
    rememberShaping(this.doc, 'bold');
    // zlib answers each page's compressed stream as a slice of a 64 KB buffer: kept as it is, a
    // 13,000-page statement would hold hundreds of MB of them. Such a slice is copied to its size.
    const output = options.output;
    this.doc.on('data', (chunk: Buffer) => {
      if (output) output.push(chunk);
      else
        this.chunks.push(
          chunk.buffer.byteLength > Buffer.poolSize && chunk.byteLength < chunk.buffer.byteLength / 2
            ? Buffer.from(chunk)
            : chunk,
        );
    });
    this.done = new Promise((resolve, reject) => {
      this.doc.on('end', resolve);
      this.doc.on('error', reject);
    });
  }

  get pageNumber(): number {
    return this.page;
  }

  newPage(): void {
    this.page += 1;
    if (this.page > this.options.totalPages) {
      throw new Error(`page ${this.page} drawn, but the layout planned ${this.options.totalPages}`);
    }
    const previous = this.page > 1 ? (this.doc.page.dictionary as unknown as WrittenReference) : undefined;
    this.doc.addPage({ size: 'A4', margin: PAGE.margin });
    // Adding a page writes the one before (pages are not buffered), but pdfkit keeps its
    // dictionary, and through it its resources and content, for the page tree written at the end,
    // which needs only its object number: 3.3 KB a page, 44 MB of heap for 13,502 pages. A
    // written page's dictionary keeps its number and drops the rest.
    if (previous?.offset !== undefined) previous.data = {};
    const { left, right } = this.options.footer(this.page, this.options.totalPages);
    const footerY = PAGE.height - PAGE.margin - 12;
    this.doc.font('regular').fontSize(8).fillColor('#555555');
    this.doc
      .moveTo(PAGE.margin, footerY - 4)
      .lineTo(PAGE.width - PAGE.margin, footerY - 4)
      .lineWidth(0.5)
      .strokeColor('#999999')
      .stroke();
    drawLine(this.doc, left, {
      x: PAGE.margin,
      y: footerY,
      width: CONTENT_WIDTH / 2,
      base: this.base,
      align: this.base === 'rtl' ? 'end' : 'start',
    });
    drawLine(this.doc, right, {
      x: PAGE.margin + CONTENT_WIDTH / 2,
      y: footerY,
      width: CONTENT_WIDTH / 2,
      base: this.base,
      align: this.base === 'rtl' ? 'start' : 'end',
    });
    this.doc.fillColor('#000000');
    this.y = PAGE.margin;
  }

  get pageWidth(): number {
    return PAGE.width;
  }

  /** One line of text across the content width at the current y; moves down. */
  line(
    text: string,
    options: {
      size?: number;
      bold?: boolean;
      gap?: number;
      align?: 'start' | 'end' | 'center';
      base?: Direction;
    } = {},
  ) {
    const size = options.size ?? 10;
    this.doc.font(options.bold ? 'bold' : 'regular').fontSize(size);
    drawLine(this.doc, text, {
      x: PAGE.margin,
      y: this.y,
      width: CONTENT_WIDTH,
      base: options.base ?? this.base,
      ...(options.align ? { align: options.align } : {}),
    });
    this.y += size * 1.6 + (options.gap ?? 0);
  }

  /** Text wrapped at word boundaries over as many lines as it needs (for short paragraphs only). */
  paragraph(text: string, options: { size?: number; base?: Direction } = {}) {
    const size = options.size ?? 10;
    const base = options.base ?? this.base;
    this.doc.font('regular').fontSize(size);
    let current = '';
    for (const word of text.split(/\s+/)) {
      const candidate = current ? `${current} ${word}` : word;
      if (current && fitText(this.doc, candidate, CONTENT_WIDTH, base) !== candidate) {
        this.line(current, { size, base });
        current = word;
      } else current = candidate;
    }
    if (current) this.line(current, { size, base, gap: 4 });
  }

  /** A label and its value on one line, the label at the start side. */
  field(label: string, value: string, options: { size?: number; base?: Direction; bold?: boolean } = {}) {
    const size = options.size ?? 10;
    const base = options.base ?? this.base;
    this.doc.font('bold').fontSize(size);
    const labelWidth = CONTENT_WIDTH * 0.32;
    const start = base === 'rtl' ? PAGE.margin + CONTENT_WIDTH - labelWidth : PAGE.margin;
    const valueX = base === 'rtl' ? PAGE.margin : PAGE.margin + labelWidth;
    drawLine(this.doc, label, { x: start, y: this.y, width: labelWidth, base });
    this.doc.font(options.bold ? 'bold' : 'regular').fontSize(size);
    drawLine(this.doc, value, { x: valueX, y: this.y, width: CONTENT_WIDTH - labelWidth, base });
    this.y += size * 1.6;
  }

  /** Column boxes in page coordinates, the first column at the start side. */
  private columnBoxes(columns: TableColumn[], width = CONTENT_WIDTH) {
    const total = columns.reduce((sum, c) => sum + c.weight, 0);
    let offset = 0;
    return columns.map((column) => {
      const w = (column.weight / total) * width;
      const x = this.base === 'rtl' ? PAGE.margin + width - offset - w : PAGE.margin + offset;
      offset += w;
      return { x: x + 4, width: w - 8, align: column.align ?? 'start' };
    });
  }

  private tableHead(title: string, columns: TableColumn[]) {
    this.doc.font('bold').fontSize(12);
    drawLine(this.doc, title, { x: PAGE.margin, y: this.y, width: CONTENT_WIDTH, base: this.base });
    this.y += TITLE_HEIGHT;
    this.doc
      .rect(PAGE.margin, this.y - 2, CONTENT_WIDTH, ROW_HEIGHT)
      .fillColor('#e6e6e6')
      .fill();
    this.doc.fillColor('#000000').font('bold').fontSize(TABLE_FONT_SIZE);
    const boxes = this.columnBoxes(columns);
    columns.forEach((column, index) => {
      drawLine(this.doc, column.header, { ...boxes[index]!, y: this.y, base: this.base });
    });
    this.y += ROW_HEIGHT;
  }

  /**
   * A table over its pages: each page gets the title and header again. `rows` answers cell texts
   * in column order; the table takes exactly tablePages(count) pages, starting on a new one.
   */
  async table(
    title: string,
    columns: TableColumn[],
    rows: AsyncIterable<string[][]>,
    empty: string,
    options: TableOptions = {},
  ) {
    const boxes = this.columnBoxes(columns);
    const rowHeight = options.rowHeight ?? ROW_HEIGHT;
    const perPage = rowsPerPage(rowHeight);
    // Text sits at the foot of a taller row, on the line of whatever a cell draws above it.
    const textOffset = rowHeight - ROW_HEIGHT;
    let onPage = perPage;
    let any = false;
    for await (const page of rows) {
      for (const cells of page) {
        if (onPage === perPage) {
          this.newPage();
          this.tableHead(title, columns);
          onPage = 0;
        }
        cells.forEach((cell, index) => {
          if (!cell) return;
          const box = boxes[index]!;
          if (options.drawCell?.(index, cell, { x: box.x, y: this.y, width: box.width, height: rowHeight }))
            return;
          this.doc.font('regular').fontSize(TABLE_FONT_SIZE);
          drawLine(this.doc, cell, { ...box, y: this.y + textOffset, base: this.base });
        });
        this.y += rowHeight;
        onPage += 1;
        any = true;
      }
      await this.options.output?.drain();
    }
    if (!any) {
      this.newPage();
      this.tableHead(title, columns);
      this.line(empty);
    }
  }

  /** A small table drawn at the current y on the current page (the caller knows it fits). */
  smallTable(columns: TableColumn[], rows: string[][], width = CONTENT_WIDTH) {
    const boxes = this.columnBoxes(columns, width);
    this.doc
      .rect(
        this.base === 'rtl' ? PAGE.margin + CONTENT_WIDTH - width : PAGE.margin,
        this.y - 2,
        width,
        ROW_HEIGHT,
      )
      .fillColor('#e6e6e6')
      .fill();
    this.doc
      .fillColor('#000000')
      .font('bold')
      .fontSize(TABLE_FONT_SIZE + 0.5);
    columns.forEach((column, index) => {
      drawLine(this.doc, column.header, { ...boxes[index]!, y: this.y, base: this.base });
    });
    this.y += ROW_HEIGHT;
    this.doc.font('regular');
    for (const cells of rows) {
      cells.forEach((cell, index) => {
        drawLine(this.doc, cell, { ...boxes[index]!, y: this.y, base: this.base });
      });
      this.y += ROW_HEIGHT;
    }
    this.y += ROW_HEIGHT / 2;
  }

  /** Ends the document: its bytes have all gone to its output, or are held for `finish`. */
  async end(): Promise<void> {
    if (this.page !== this.options.totalPages) {
      throw new Error(`${this.page} pages drawn, but the layout planned ${this.options.totalPages}`);
    }
    this.doc.end();
    await this.done;
  }

  /** Ends a document written without an output and answers its bytes. */
  async finish(): Promise<Buffer> {
    if (this.options.output) throw new Error('a document written to its output has no bytes to answer');
    await this.end();
    return Buffer.concat(this.chunks);
  }
}

export const contentWidth = CONTENT_WIDTH;
