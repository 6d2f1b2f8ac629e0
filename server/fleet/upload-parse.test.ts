import { describe, expect, it } from 'vitest';
import { UploadError } from './upload-error.ts';
import { idleParserThreadIds, type ParseEvent, parseUpload } from './upload-parse.ts';
import { defaultUploadLimits } from './upload-read.ts';

const request = (text: string, fileName = 'fleet.csv') => ({
  fileName,
  bytes: new Uint8Array(Buffer.from(text, 'utf8')),
  jurisdiction: 'JO' as const,
  limits: defaultUploadLimits,
});

async function collect(text: string): Promise<ParseEvent[]> {
  const events: ParseEvent[] = [];
  for await (const event of parseUpload(request(text))) events.push(event);
  return events;
}

describe('parseUpload', () => {
  it('streams the header, the valid rows as COPY text, then the report and counts', async () => {
    const events = await collect('Plate,Label\n13-20697,Truck\tone\n13-20697,Again\nnot a plate!,X\n');
    expect(events.map((event) => event.type)).toEqual(['header', 'rows', 'done']);
    const [header, rows, done] = events as [
      Extract<ParseEvent, { type: 'header' }>,
      Extract<ParseEvent, { type: 'rows' }>,
      Extract<ParseEvent, { type: 'done' }>,
    ];
    expect(header.header.columns).toEqual([
      { header: 'Plate', field: 'plate' },
      { header: 'Label', field: 'label' },
    ]);
    // One valid row; the tab inside the label is escaped, absent fields are \N.
    expect(Buffer.from(rows.copy).toString('utf8').split('\n')).toEqual([
      'JO:13-20697\t2\t{"scheme":"jo","code":"13","number":"20697"}\t13-20697\t\\N\t\\N\tTruck one\t\\N\t\\N\t{}',
      '',
    ]);
    expect(done.counts).toEqual({ rows: 3, valid: 1, rejected: 2, duplicate: 1, warnings: 0 });
    expect(done.rejects).toBe('3\t["13-20697","Again"]\n4\t["not a plate!","X"]\n');
    expect(done.issues.split('\n').map((line) => line.split('\t').slice(0, 5).join(' '))).toEqual([
      '0 3 error Plate row.duplicate_plate',
      '1 4 error Plate plate.invalid_character',
      '',
    ]);
  });

  it('keeps the thread for the next file, and ends the thread of an abandoned file', async () => {
    await collect('Plate\n13-1\n');
    const [kept] = idleParserThreadIds();
    expect(kept).toBeDefined();
    await collect('Plate\n13-2\n');
    expect(idleParserThreadIds()).toEqual([kept]);

    const events = parseUpload(request('Plate\n13-3\n'));
    expect((await events.next()).value?.type).toBe('header');
    expect(idleParserThreadIds()).toEqual([]);
    await events.return(undefined);
    expect(idleParserThreadIds()).toEqual([]);
    await collect('Plate\n13-4\n');
    const [next] = idleParserThreadIds();
    expect(next).toBeDefined();
    expect(next).not.toBe(kept);
  });

  it('throws the refusal of a whole file, and the thread stays usable', async () => {
    await expect(collect('Label\nTruck\n')).rejects.toBeInstanceOf(UploadError);
    await expect(collect('Label\nTruck\n')).rejects.toMatchObject({ code: 'upload.missing_column' });
    expect(idleParserThreadIds()).toHaveLength(1);
    expect((await collect('Plate\n13-4\n')).at(-1)).toMatchObject({ type: 'done', counts: { valid: 1 } });
  });
});
