/**
 * The words people read, in ICU MessageFormat: one catalogue per language and namespace
 * (`catalog/<lang>/<namespace>.json`, keys used as `<namespace>.<key>`), formatted with
 * intl-messageformat on the server; the front end imports the same JSON files.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { IntlMessageFormat, type PrimitiveType } from 'intl-messageformat';

export const languages = ['ar', 'en'] as const;
export type Language = (typeof languages)[number];

export function isLanguage(value: unknown): value is Language {
  return value === 'ar' || value === 'en';
}

/** `ar` with Arabic-Indic digits, or Western digits (the default in both languages). */
export interface LocaleChoice {
  language: Language;
  digits?: 'latn' | 'arab';
}

export function localeTag(choice: LocaleChoice): string {
  return `${choice.language}-u-nu-${choice.digits ?? 'latn'}`;
}

const catalogDir = path.join(import.meta.dirname, 'catalog');

/** Every catalogue, read once: language → key → ICU message text. */
export function loadCatalogs(dir: string = catalogDir): Record<Language, Map<string, string>> {
  const out = { ar: new Map<string, string>(), en: new Map<string, string>() };
  for (const language of languages) {
    for (const file of fs.readdirSync(path.join(dir, language)).sort()) {
      if (!file.endsWith('.json')) continue;
      const namespace = file.slice(0, -'.json'.length);
      const entries = JSON.parse(fs.readFileSync(path.join(dir, language, file), 'utf8')) as Record<
        string,
        unknown
      >;
      for (const [key, text] of Object.entries(entries)) {
        assert(typeof text === 'string', `${language}/${file}: "${key}" must be a string`);
        out[language].set(`${namespace}.${key}`, text);
      }
    }
  }
  return out;
}

const catalogs = loadCatalogs();
const compiled = new Map<string, IntlMessageFormat>();

export type MessageValues = Record<string, PrimitiveType>;

/** The message `key` in the chosen language, with its values put in. Unknown keys throw. */
export function message(choice: LocaleChoice | Language, key: string, values?: MessageValues): string {
  const locale = typeof choice === 'string' ? { language: choice } : choice;
  const tag = localeTag(locale);
  const cacheKey = `${tag}\u0000${key}`;
  let format = compiled.get(cacheKey);
  if (!format) {
    const text = catalogs[locale.language].get(key);
    assert(text !== undefined, `no message "${key}" in the ${locale.language} catalogue`);
    format = new IntlMessageFormat(text, tag);
    compiled.set(cacheKey, format);
  }
  return String(format.format(values));
}

/** The same message in both languages, e.g. for an error envelope that carries both. */
export function bilingual(key: string, values?: MessageValues): { en: string; ar: string } {
  return { en: message('en', key, values), ar: message('ar', key, values) };
}

/** A row's problem in both languages, as upload and export rows carry it. */
export interface RowWords {
  message: string;
  messageAr: string;
}

/** The same message as a row's problem carries it: `message` in English, `messageAr` in Arabic. */
export function rowWords(key: string, values?: MessageValues): RowWords {
  return { message: message('en', key, values), messageAr: message('ar', key, values) };
}

/**
 * The catalogue's sentence for an error code (`web.error.<code>`, what the web app shows), with
 * the error's details put in where they are strings or numbers; null when the catalogue has no
 * sentence for the code or the details lack a value it names.
 */
export function catalogueWords(language: Language, code: string, details: unknown): string | null {
  const key = `web.error.${code}`;
  if (!catalogs[language].has(key)) return null;
  const values: MessageValues = {};
  if (details !== null && typeof details === 'object' && !Array.isArray(details)) {
    for (const [name, value] of Object.entries(details)) {
      if (typeof value === 'string' || typeof value === 'number') values[name] = value;
    }
  }
  try {
    return message(language, key, values);
  } catch {
    return null;
  }
}
