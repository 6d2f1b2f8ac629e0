/**
 * Zip-bomb guard for XLSX uploads. Reads the zip's central directory (no decompression) and
 * refuses archives whose declared sizes or compression ratios are too large; then checks that the
 * local entries a streaming reader will see are exactly the ones declared, and that no entry
 * inflates past its declared size — so a lying directory cannot smuggle a bomb past the check.
 */
import { createInflateRaw } from 'node:zlib';
import { bilingual, type MessageValues } from '../i18n/messages.ts';

export interface ZipLimits {
  maxUncompressedBytes: number;
  /** Uncompressed/compressed, checked for entries big enough to matter (see RATIO_FLOOR_BYTES). */
  maxCompressionRatio: number;
  maxEntries: number;
}

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

/** `detail` in English, `detailAr` in Arabic. */
export type ZipProblem = { kind: 'corrupt' | 'bomb' | 'unsupported'; detail: string; detailAr: string };

export class ZipGuardError extends Error {
  override readonly name = 'ZipGuardError';
  readonly problem: ZipProblem;
  constructor(problem: ZipProblem) {
    super(problem.detail);
    this.problem = problem;
  }
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const DESCRIPTOR_SIGNATURE = 0x08074b50;
const ZIP64_EXTRA_ID = 0x0001;
const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;
/** Small entries (styles, rels) compress extremely well and cannot hurt; ratios matter above this. */
const RATIO_FLOOR_BYTES = 1024 * 1024;
const FLAG_ENCRYPTED = 0x1;
const FLAG_DATA_DESCRIPTOR = 0x8;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
/**
 * Output per inflate step. Each step is a round trip to the thread pool; at zlib's default 16 KB
 * checking a 50,000-row workbook (19 MB inflated) took ~100 ms, at 256 KB ~20 ms.
 */
const INFLATE_CHUNK_BYTES = 256 * 1024;

/** The problem in the words of the `sheets.<key>` message. */
function problem(kind: ZipProblem['kind'], key: string, values?: MessageValues): ZipGuardError {
  const words = bilingual(`sheets.${key}`, values);
  return new ZipGuardError({ kind, detail: words.en, detailAr: words.ar });
}

const corrupt = (key: string, values?: MessageValues) => problem('corrupt', key, values);

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function readU64(data: DataView, offset: number): number {
  const value = data.getBigUint64(offset, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt('zip_size_range');
  return Number(value);
}

function findEndOfCentralDirectory(data: DataView): number {
  // The record is 22 bytes plus a comment of at most 65535 bytes, at the very end.
  const lowest = Math.max(0, data.byteLength - 22 - U16_MAX);
  for (let offset = data.byteLength - 22; offset >= lowest; offset -= 1) {
    if (data.getUint32(offset, true) === EOCD_SIGNATURE) return offset;
  }
  throw corrupt('zip_no_directory');
}

/** Reads the central directory: names and declared sizes of every entry. */
export function readCentralDirectory(bytes: Uint8Array): { entries: ZipEntry[]; directoryOffset: number } {
  const data = view(bytes);
  if (data.byteLength < 22) throw corrupt('zip_truncated');
  const eocd = findEndOfCentralDirectory(data);
  let entryCount = data.getUint16(eocd + 10, true);
  let directorySize = data.getUint32(eocd + 12, true);
  let directoryOffset = data.getUint32(eocd + 16, true);
  if (entryCount === U16_MAX || directorySize === U32_MAX || directoryOffset === U32_MAX) {
    const locator = eocd - 20;
    if (locator < 0 || data.getUint32(locator, true) !== ZIP64_LOCATOR_SIGNATURE) {
      throw corrupt('zip64_locator_missing');
    }
    const zip64 = readU64(data, locator + 8);
    if (zip64 + 56 > data.byteLength || data.getUint32(zip64, true) !== ZIP64_EOCD_SIGNATURE) {
      throw corrupt('zip64_record_missing');
    }
    entryCount = readU64(data, zip64 + 32);
    directorySize = readU64(data, zip64 + 40);
    directoryOffset = readU64(data, zip64 + 48);
  }
  if (directoryOffset + directorySize > data.byteLength) throw corrupt('zip_directory_past_end');

  const entries: ZipEntry[] = [];
  let offset = directoryOffset;
  const decoder = new TextDecoder('utf-8');
  for (let index = 0; index < entryCount; index += 1) {
    if (offset + 46 > data.byteLength || data.getUint32(offset, true) !== CENTRAL_SIGNATURE) {
      throw corrupt('zip_directory_damaged');
    }
    const flags = data.getUint16(offset + 8, true);
    const method = data.getUint16(offset + 10, true);
    let compressedSize = data.getUint32(offset + 20, true);
    let uncompressedSize = data.getUint32(offset + 24, true);
    const nameLength = data.getUint16(offset + 28, true);
    const extraLength = data.getUint16(offset + 30, true);
    const commentLength = data.getUint16(offset + 32, true);
    let localHeaderOffset = data.getUint32(offset + 42, true);
    const nameStart = offset + 46;
    const extraStart = nameStart + nameLength;
    const next = extraStart + extraLength + commentLength;
    if (next > data.byteLength) throw corrupt('zip_directory_damaged');
    const name = decoder.decode(bytes.subarray(nameStart, extraStart));
    // Zip64 extra field: the 64-bit values appear only for fields saturated at 0xFFFFFFFF, in order.
    let extra = extraStart;
    while (extra + 4 <= extraStart + extraLength) {
      const id = data.getUint16(extra, true);
      const size = data.getUint16(extra + 2, true);
      if (id === ZIP64_EXTRA_ID) {
        let field = extra + 4;
        const take = () => {
          if (field + 8 > extra + 4 + size) throw corrupt('zip64_sizes_damaged', { name });
          const value = readU64(data, field);
          field += 8;
          return value;
        };
        if (uncompressedSize === U32_MAX) uncompressedSize = take();
        if (compressedSize === U32_MAX) compressedSize = take();
        if (localHeaderOffset === U32_MAX) localHeaderOffset = take();
      }
      extra += 4 + size;
    }
    entries.push({ name, method, flags, compressedSize, uncompressedSize, localHeaderOffset });
    offset = next;
  }
  return { entries, directoryOffset };
}

/** Declared-size checks: cheap, before a single byte is inflated. */
export function checkDeclaredSizes(entries: ZipEntry[], limits: ZipLimits): void {
  if (entries.length > limits.maxEntries) {
    throw problem('bomb', 'zip_too_many_entries', {
      count: String(entries.length),
      max: String(limits.maxEntries),
    });
  }
  let total = 0;
  for (const entry of entries) {
    if (entry.flags & FLAG_ENCRYPTED) {
      throw problem('unsupported', 'zip_encrypted');
    }
    if (entry.method !== METHOD_STORED && entry.method !== METHOD_DEFLATE) {
      throw problem('unsupported', 'zip_entry_method', { name: entry.name });
    }
    total += entry.uncompressedSize;
    if (total > limits.maxUncompressedBytes) {
      throw problem('bomb', 'zip_too_big', { max: String(limits.maxUncompressedBytes) });
    }
    const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
    if (entry.uncompressedSize > RATIO_FLOOR_BYTES && ratio > limits.maxCompressionRatio) {
      throw problem('bomb', 'zip_entry_ratio', {
        name: entry.name,
        ratio: String(Math.round(ratio)),
        max: String(limits.maxCompressionRatio),
      });
    }
  }
}

/**
 * Walks the local entries in file order: they must tile the bytes before the directory exactly,
 * carry the directory's names and sizes, and inflate to no more than declared. A streaming unzip
 * reads local headers, so this is what keeps it honest.
 */
export async function checkLocalEntries(
  bytes: Uint8Array,
  entries: ZipEntry[],
  directoryOffset: number,
): Promise<void> {
  const data = view(bytes);
  const decoder = new TextDecoder('utf-8');
  let expectedOffset = 0;
  for (const entry of [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset)) {
    const at = entry.localHeaderOffset;
    if (at !== expectedOffset) throw corrupt('zip_unlisted_data');
    if (at + 30 > data.byteLength || data.getUint32(at, true) !== LOCAL_SIGNATURE) {
      throw corrupt('zip_entry_damaged', { name: entry.name });
    }
    const nameLength = data.getUint16(at + 26, true);
    const extraLength = data.getUint16(at + 28, true);
    const name = decoder.decode(bytes.subarray(at + 30, at + 30 + nameLength));
    if (name !== entry.name) throw corrupt('zip_entry_renamed', { name: entry.name });
    const localFlags = data.getUint16(at + 6, true);
    const localCompressed = data.getUint32(at + 18, true);
    const localUncompressed = data.getUint32(at + 22, true);
    const sizesInHeader = (localFlags & FLAG_DATA_DESCRIPTOR) === 0 && localCompressed !== U32_MAX;
    if (
      sizesInHeader &&
      (localCompressed !== entry.compressedSize || localUncompressed !== entry.uncompressedSize)
    ) {
      throw corrupt('zip_entry_sizes_differ', { name: entry.name });
    }
    const dataStart = at + 30 + nameLength + extraLength;
    let end = dataStart + entry.compressedSize;
    if (end > directoryOffset) throw corrupt('zip_entry_into_directory', { name: entry.name });
    await checkInflatedSize(bytes.subarray(dataStart, end), entry);
    if (localFlags & FLAG_DATA_DESCRIPTOR) {
      if (end + 4 <= data.byteLength && data.getUint32(end, true) === DESCRIPTOR_SIGNATURE) end += 4;
      // CRC + sizes: 12 bytes, or 20 when the writer used zip64 sizes; the next header tells which.
      const landsOnHeader = (position: number) =>
        position === directoryOffset ||
        (position + 4 <= data.byteLength && data.getUint32(position, true) === LOCAL_SIGNATURE);
      const length = [12, 20].find((candidate) => landsOnHeader(end + candidate));
      if (length === undefined) throw corrupt('zip_entry_descriptor_damaged', { name: entry.name });
      end += length;
    }
    expectedOffset = end;
  }
  if (expectedOffset !== directoryOffset) throw corrupt('zip_unlisted_data');
}

async function checkInflatedSize(compressed: Uint8Array, entry: ZipEntry): Promise<void> {
  if (entry.method === METHOD_STORED) {
    if (compressed.byteLength !== entry.uncompressedSize)
      throw corrupt('zip_entry_wrong_size', { name: entry.name });
    return;
  }
  const inflater = createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES });
  inflater.end(compressed);
  let produced = 0;
  try {
    for await (const chunk of inflater) {
      produced += (chunk as Buffer).byteLength;
      if (produced > entry.uncompressedSize) {
        throw problem('bomb', 'zip_entry_past_size', { name: entry.name });
      }
    }
  } catch (error) {
    inflater.destroy();
    if (error instanceof ZipGuardError) throw error;
    throw corrupt('zip_entry_not_inflated', { name: entry.name });
  }
  if (produced !== entry.uncompressedSize) throw corrupt('zip_entry_wrong_size', { name: entry.name });
}

/**
 * The archive's local records (header, data and any descriptor of each entry) as slices of
 * `bytes`, in file order, and the directory after them. Only for bytes that passed guardZip: that
 * is what makes the records tile everything before the directory.
 */
export function zipRecords(bytes: Uint8Array): {
  records: { name: string; bytes: Uint8Array }[];
  directory: Uint8Array;
} {
  const { entries, directoryOffset } = readCentralDirectory(bytes);
  const inFileOrder = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  const records = inFileOrder.map((entry, index) => ({
    name: entry.name,
    bytes: bytes.subarray(
      entry.localHeaderOffset,
      inFileOrder[index + 1]?.localHeaderOffset ?? directoryOffset,
    ),
  }));
  return { records, directory: bytes.subarray(directoryOffset) };
}

/** All checks in order; returns the entry names for type detection (xlsx vs other zips). */
export async function guardZip(bytes: Uint8Array, limits: ZipLimits): Promise<string[]> {
  const { entries, directoryOffset } = readCentralDirectory(bytes);
  checkDeclaredSizes(entries, limits);
  await checkLocalEntries(bytes, entries, directoryOffset);
  return entries.map((entry) => entry.name);
}
