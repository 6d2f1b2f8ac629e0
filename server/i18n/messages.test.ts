import { type MessageFormatElement, parse, TYPE } from '@formatjs/icu-messageformat-parser';
import { describe, expect, it } from 'vitest';
import { bilingual, languages, loadCatalogs, message } from './messages.ts';

const catalogs = loadCatalogs();

describe('message catalogues', () => {
  it('have the same keys in every language', () => {
    const [first, ...others] = languages;
    for (const other of others) {
      const missingThere = [...catalogs[first].keys()].filter((k) => !catalogs[other].has(k));
      const missingHere = [...catalogs[other].keys()].filter((k) => !catalogs[first].has(k));
      expect(missingThere, `keys missing in ${other}`).toEqual([]);
      expect(missingHere, `keys missing in ${first}`).toEqual([]);
    }
  });

  it('hold only messages that parse, with the same arguments in every language', () => {
    for (const language of languages) {
      for (const [key, text] of catalogs[language]) {
        expect(() => parse(text), `${language} ${key}`).not.toThrow();
      }
    }
    for (const [key, text] of catalogs.en) {
      const ar = catalogs.ar.get(key);
      if (ar === undefined) continue;
      const placeholders = (t: string) =>
        [...t.matchAll(/\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*[,}]/g)].map((m) => m[1]).sort();
      expect(new Set(placeholders(ar)), key).toEqual(new Set(placeholders(text)));
    }
  });

  it('agree Arabic counted nouns in all six plural forms', () => {
    const forms = [0, 1, 2, 3, 11, 100].map((count) => message('ar', 'common.vehicles', { count }));
    expect(forms).toEqual(['لا مركبات', 'مركبة واحدة', 'مركبتان', '3 مركبات', '11 مركبة', '100 مركبة']);
    expect(message({ language: 'ar', digits: 'arab' }, 'common.vehicles', { count: 11 })).toBe('١١ مركبة');
    expect(message('en', 'common.vehicles', { count: 1 })).toBe('1 vehicle');
    expect(bilingual('common.violations', { count: 2 })).toEqual({ en: '2 violations', ar: 'مخالفتان' });
  });

  it('word every Arabic count in all six plural forms', () => {
    const lacking: string[] = [];
    const walk = (key: string, elements: MessageFormatElement[]) => {
      for (const element of elements) {
        if (element.type === TYPE.plural || element.type === TYPE.select) {
          const forms = Object.keys(element.options);
          const missing = ['one', 'two', 'few', 'many', 'other'].filter((form) => !forms.includes(form));
          if (!forms.includes('zero') && !forms.includes('=0')) missing.push('zero');
          if (element.type === TYPE.plural && missing.length > 0)
            lacking.push(`${key} (${element.value}): ${missing}`);
          for (const option of Object.values(element.options)) walk(key, option.value);
        } else if (element.type === TYPE.tag) walk(key, element.children);
      }
    };
    for (const [key, text] of catalogs.ar) walk(key, parse(text));
    expect(lacking).toEqual([]);
  });

  it('refuses a key that no catalogue has', () => {
    expect(() => message('en', 'common.no_such_key')).toThrow(/no message "common.no_such_key"/);
  });
});
