/**
 * Diagnostic reasons the server stores as English text (a lookup's `last_error`, an alert
 * delivery's `last_error`, why an issuance call failed) and shows to people in their language.
 *
 * Each reason is the `reasons` catalogue entry of a stable code: its English entry is the template
 * the stored text is made from (plain `{name}` slots, so the stored text is exactly the words
 * with the values put in), and `readReason` recognises a stored text's code and values from the
 * same templates, so a document or an API answer words it from the catalogue of its reader. A
 * text no template makes (older, or from elsewhere) is shown as stored.
 *
 * Slots: one the Arabic entry formats as a number (`number`, `plural`) holds digits; `text` is a
 * cell's text quoted as a JSON string (so a template opening with it cannot take in the words of
 * one that nests it); `reason` is itself a reason of the same family (worded in turn) and, like
 * `detail`, free text taken as long as the template allows; every other slot takes as little as
 * the template allows.
 */
import { type MessageFormatElement, parse, TYPE } from '@formatjs/icu-messageformat-parser';
import { type Language, loadCatalogs, type MessageValues, message } from './messages.ts';

/** The producers whose reasons the catalogue words: authority lookups, issuance calls, alert deliveries, runs. */
export type ReasonFamily = 'lookup' | 'issuance' | 'delivery' | 'run';

export type ReasonValues = Record<string, string | number>;

interface Template {
  /** `<family>.<code>`, the key under `reasons.` in both catalogues. */
  code: string;
  /** The English entry split at its slots: literal, slot, literal, …, literal. */
  parts: string[];
  slots: string[];
  pattern: RegExp;
  numeric: Set<string>;
}

const catalogs = loadCatalogs();

function numericSlots(elements: MessageFormatElement[], into = new Set<string>()): Set<string> {
  for (const element of elements) {
    if (element.type === TYPE.number || element.type === TYPE.plural) into.add(element.value);
    if (element.type === TYPE.plural || element.type === TYPE.select)
      for (const option of Object.values(element.options)) numericSlots(option.value, into);
  }
  return into;
}

const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function compile(code: string, english: string, arabic: string): Template {
  const pieces = english.split(/\{([A-Za-z_][A-Za-z0-9_]*)\}/);
  const parts = pieces.filter((_, i) => i % 2 === 0);
  const slots = pieces.filter((_, i) => i % 2 === 1);
  const numeric = numericSlots(parse(arabic));
  const source = pieces
    .map((piece, i) => {
      if (i % 2 === 0) return literally(piece);
      if (numeric.has(piece)) return '(\\d+)';
      if (piece === 'text') return '("(?:[^"\\\\]|\\\\.)*")';
      return piece === 'reason' || piece === 'detail' ? '(.*)' : '(.*?)';
    })
    .join('');
  return { code, parts, slots, pattern: new RegExp(`^${source}$`, 's'), numeric };
}

/** Every reason template by family, the most literal words first (the most specific wins). */
const templates = new Map<ReasonFamily, Template[]>();
for (const [key, english] of catalogs.en) {
  if (!key.startsWith('reasons.')) continue;
  const code = key.slice('reasons.'.length);
  const family = code.slice(0, code.indexOf('.')) as ReasonFamily;
  const list = templates.get(family) ?? [];
  list.push(compile(code, english, catalogs.ar.get(key) ?? english));
  templates.set(family, list);
}
const literalLength = (t: Template) => t.parts.reduce((sum, part) => sum + part.length, 0);
for (const list of templates.values()) list.sort((a, b) => literalLength(b) - literalLength(a));

const byCode = new Map([...templates.values()].flat().map((t) => [t.code, t]));

/** The English text stored for a reason: its catalogue template with the values put in as they are. */
export function reasonText(code: string, values: ReasonValues = {}): string {
  const template = byCode.get(code);
  if (!template) throw new Error(`no reason "${code}" in the reasons catalogue`);
  let text = template.parts[0]!;
  template.slots.forEach((slot, i) => {
    const value = values[slot];
    if (value === undefined) throw new Error(`reason "${code}" needs a value for {${slot}}`);
    text += String(value) + template.parts[i + 1]!;
  });
  return text;
}

/** The code and values a stored text was made from, or null when no template of the family makes it. */
export function readReason(
  family: ReasonFamily,
  text: string,
): { code: string; values: Record<string, string> } | null {
  for (const template of templates.get(family) ?? []) {
    const match = template.pattern.exec(text);
    if (!match) continue;
    const values: Record<string, string> = {};
    template.slots.forEach((slot, i) => {
      values[slot] = match[i + 1]!;
    });
    return { code: template.code, values };
  }
  return null;
}

/**
 * Arabic words of texts already worded. A night's failures repeat a few texts (`HTTP 503` for a
 * whole batch), and a statement or page words one per failed vehicle: recognising each costs tens
 * of template matches, a repeat one look-up. Bounded: emptied when full.
 */
const worded = new Map<string, string>();
const MAX_WORDED = 10_000;

/** A stored reason in the reader's language: the catalogue's words where a template made it, else as stored. */
export function reasonWords(language: Language, family: ReasonFamily, text: string): string {
  if (language === 'en') return text;
  const key = `${family}\u0000${text}`;
  let words = worded.get(key);
  if (words === undefined) {
    words = wordReason(language, family, text);
    if (worded.size >= MAX_WORDED) worded.clear();
    worded.set(key, words);
  }
  return words;
}

function wordReason(language: Language, family: ReasonFamily, text: string): string {
  const read = readReason(family, text);
  if (!read) return text;
  const template = byCode.get(read.code)!;
  const values: MessageValues = {};
  for (const [slot, value] of Object.entries(read.values)) {
    values[slot] =
      slot === 'reason'
        ? reasonWords(language, family, value)
        : template.numeric.has(slot)
          ? Number(value)
          : value;
  }
  return message(language, `reasons.${read.code}`, values);
}

/** A nullable stored reason in Arabic, as API answers carry it beside the English (`lastErrorAr`). */
export function reasonAr(family: ReasonFamily, text: string | null): string | null {
  return text === null ? null : reasonWords('ar', family, text);
}
