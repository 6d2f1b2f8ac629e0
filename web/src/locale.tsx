import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from 'react';
import { IntlProvider, useIntl } from 'react-intl';
import arAlerts from '../../server/i18n/catalog/ar/alerts.json' with { type: 'json' };
import arCommon from '../../server/i18n/catalog/ar/common.json' with { type: 'json' };
import arWeb from '../../server/i18n/catalog/ar/web.json' with { type: 'json' };
import enAlerts from '../../server/i18n/catalog/en/alerts.json' with { type: 'json' };
import enCommon from '../../server/i18n/catalog/en/common.json' with { type: 'json' };
import enWeb from '../../server/i18n/catalog/en/web.json' with { type: 'json' };
import { type CurrencyCode, formatMinor } from './money.ts';

export type Language = 'ar' | 'en';
export type Digits = 'latn' | 'arab';

const prefixed = (namespace: string, entries: Record<string, string>) =>
  Object.fromEntries(Object.entries(entries).map(([k, v]) => [`${namespace}.${k}`, v]));

// The server's catalogues (server/i18n/catalog/<lang>/<namespace>.json): the web's own words under
// their keys, the shared ones as `common.<key>`, so one catalogue test checks them all.
const catalogs: Record<Language, Record<string, string>> = {
  en: { ...enWeb, ...prefixed('common', enCommon), ...prefixed('alerts', enAlerts) },
  ar: { ...arWeb, ...prefixed('common', arCommon), ...prefixed('alerts', arAlerts) },
};

const stored = (key: string) => {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
};

function initialLanguage(): Language {
  const saved = stored('ff.language');
  if (saved === 'ar' || saved === 'en') return saved;
  return navigator.language.toLowerCase().startsWith('ar') ? 'ar' : 'en';
}

interface Preferences {
  language: Language;
  digits: Digits;
  setLanguage(language: Language): void;
  setDigits(digits: Digits): void;
}

const PreferencesContext = createContext<Preferences | null>(null);

export function usePreferences(): Preferences {
  const value = useContext(PreferencesContext);
  if (!value) throw new Error('usePreferences outside LocaleProvider');
  return value;
}

/** Language and digits, kept in this browser; the page's lang and dir follow the language. */
export function LocaleProvider({ children }: { children: ReactNode }) {
  const [language, setLanguageState] = useState<Language>(initialLanguage);
  const [digits, setDigitsState] = useState<Digits>(() => (stored('ff.digits') === 'arab' ? 'arab' : 'latn'));
  useEffect(() => {
    document.documentElement.lang = language;
    document.documentElement.dir = language === 'ar' ? 'rtl' : 'ltr';
    document.title = catalogs[language]['app.title'] ?? document.title;
  }, [language]);
  const value = useMemo<Preferences>(
    () => ({
      language,
      digits,
      setLanguage: (next) => {
        localStorage.setItem('ff.language', next);
        setLanguageState(next);
      },
      setDigits: (next) => {
        localStorage.setItem('ff.digits', next);
        setDigitsState(next);
      },
    }),
    [language, digits],
  );
  return (
    <PreferencesContext.Provider value={value}>
      <IntlProvider locale={`${language}-u-nu-${digits}`} messages={catalogs[language]} defaultLocale="en">
        {children}
      </IntlProvider>
    </PreferencesContext.Provider>
  );
}

export type Translate = (id: string, values?: Record<string, string | number | bigint | Date>) => string;

/** `t(id, values)`: a message of the web catalogue in the page's language. */
export function useT(): Translate {
  const intl = useIntl();
  return (id, values) =>
    intl.formatMessage({ id }, values as Record<string, string | number | Date> | undefined) as string;
}

export interface Formats {
  money(amountMinor: string | bigint, withCurrency?: boolean): string;
  number(value: number): string;
  date(value: string | Date): string;
  dateTime(value: string | Date): string;
  time(value: string | Date): string;
}

/** Numbers, money and dates in the page's language and digits; dates in the account's time zone. */
export function useFormats(account?: { currency: string; timeZone: string }): Formats {
  const { language, digits } = usePreferences();
  return useMemo(() => {
    const tag = `${language}-u-nu-${digits}`;
    const zone = account?.timeZone;
    const numberFormat = new Intl.NumberFormat(tag);
    const dateFormat = new Intl.DateTimeFormat(tag, { dateStyle: 'medium', timeZone: zone });
    const dateTimeFormat = new Intl.DateTimeFormat(tag, {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: zone,
    });
    const timeFormat = new Intl.DateTimeFormat(tag, { timeStyle: 'short', timeZone: zone });
    const asDate = (v: string | Date) => (typeof v === 'string' ? new Date(v) : v);
    return {
      money: (amountMinor, withCurrency = true) =>
        formatMinor(amountMinor, (account?.currency ?? 'JOD') as CurrencyCode, {
          locale: language,
          digits,
          withCurrency,
        }),
      number: (value) => numberFormat.format(value),
      date: (value) => dateFormat.format(asDate(value)),
      dateTime: (value) => dateTimeFormat.format(asDate(value)),
      time: (value) => timeFormat.format(asDate(value)),
    };
  }, [language, digits, account?.currency, account?.timeZone]);
}
