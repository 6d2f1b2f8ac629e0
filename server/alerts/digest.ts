/**
 * A digest's words: the events of one run (numbers only, as stored in the outbox) made into the
 * lines people read, in Arabic or English, most urgent first, for email (HTML + text), SMS and
 * webhooks. Pure; amounts stay bigint minor units until formatted.
 */
import { DateTime } from 'luxon';
import { type Language, message } from '../i18n/messages.ts';
import { reasonWords } from '../i18n/reasons.ts';
import { type Currency, currencies, formatMinor } from '../money/money.ts';

export type CurrencyCode = Currency['code'];

export interface Tally {
  count: number;
  amountMinor: string;
}

export interface DeadlineItem {
  plate: string;
  ticketNumber: string;
  escalatesAt: string;
  amountMinor: string;
  savesMinor: string;
}

/** What a run gave to alert about. Amounts are minor units as decimal strings (JSON carries no bigint). */
export interface DigestEvents {
  runId: string | null;
  /** The account's local date the digest speaks of (the run's night, or the day it ended). */
  night: string;
  status: 'done' | 'partial' | 'failed' | null;
  currency: CurrencyCode;
  timeZone: string;
  runError: string | null;
  failedVehicles: number;
  newViolations: Tally;
  escalated: Tally;
  outstanding: Tally;
  horizonDays: number;
  deadlines: Tally & { savesMinor: string; first: DeadlineItem[] };
  heldSettlements: number;
  exceptionsOpened: number;
  expiring: Tally & { first: { number: string; expiresAt: string } | null };
  /** The page the digest points to, relative to the product's address. */
  path: string;
}

export type DigestKind = 'run' | 'all_clear' | 'test';

/** How many things in the events call for action; a run digest with none is not sent. */
export function actionCount(e: DigestEvents): number {
  return (
    (e.status === 'failed' ? 1 : 0) +
    (e.status === 'partial' ? 1 : 0) +
    (e.deadlines.count > 0 ? 1 : 0) +
    (e.newViolations.count > 0 ? 1 : 0) +
    (e.escalated.count > 0 ? 1 : 0) +
    (e.heldSettlements > 0 ? 1 : 0) +
    (e.exceptionsOpened > 0 ? 1 : 0) +
    (e.expiring.count > 0 ? 1 : 0)
  );
}

export interface RenderedDigest {
  subject: string;
  /** The digest's lines, most urgent first (the last is the outstanding total). */
  lines: string[];
  /** The deadlines' first items, one line each. */
  details: string[];
  link: string;
  text: string;
  html: string;
}

export interface RenderInput {
  kind: DigestKind;
  events: DigestEvents;
  language: Language;
  accountName: string;
  /** The product's address, e.g. http://127.0.0.1:3000 */
  baseUrl: string;
}

export function money(amountMinor: string | bigint, code: CurrencyCode, language: Language): string {
  return formatMinor(BigInt(amountMinor), currencies[code], { locale: language, withCurrency: true });
}

function localDate(iso: string, timeZone: string, language: Language): string {
  return DateTime.fromISO(iso, { zone: timeZone })
    .setLocale(language === 'ar' ? 'ar-u-nu-latn' : 'en-GB')
    .toLocaleString(DateTime.DATE_MED);
}

/** The digest's lines in one language: what to pay first, then what changed, then the total. */
export function renderDigest(input: RenderInput): RenderedDigest {
  const { events: e, language: lang, kind } = input;
  const m = (key: string, values?: Record<string, string | number>) => message(lang, `alerts.${key}`, values);
  const amount = (minor: string) => money(minor, e.currency, lang);
  const link = `${input.baseUrl.replace(/\/$/, '')}${e.path}`;
  const lines: string[] = [];
  const details: string[] = [];
  if (kind === 'test') {
    lines.push(m('test'));
  } else {
    if (e.status === 'failed')
      lines.push(m('run_failed', { reason: e.runError ? reasonWords(lang, 'run', e.runError) : '—' }));
    if (e.status === 'partial') lines.push(m('run_partial', { count: e.failedVehicles }));
    if (e.deadlines.count > 0) {
      lines.push(
        m('deadlines', {
          count: e.deadlines.count,
          days: e.horizonDays,
          amount: amount(e.deadlines.amountMinor),
          saves: amount(e.deadlines.savesMinor),
        }),
      );
      for (const d of e.deadlines.first) {
        details.push(
          m('deadline_line', {
            plate: d.plate,
            amount: amount(d.amountMinor),
            date: localDate(d.escalatesAt, e.timeZone, lang),
            saves: amount(d.savesMinor),
          }),
        );
      }
    }
    if (e.newViolations.count > 0) {
      lines.push(
        m('new_violations', { count: e.newViolations.count, amount: amount(e.newViolations.amountMinor) }),
      );
    }
    if (e.escalated.count > 0) {
      lines.push(m('escalated', { count: e.escalated.count, amount: amount(e.escalated.amountMinor) }));
    }
    if (e.heldSettlements > 0) lines.push(m('held', { count: e.heldSettlements }));
    if (e.exceptionsOpened > 0) lines.push(m('exceptions', { count: e.exceptionsOpened }));
    if (e.expiring.count > 0 && e.expiring.first) {
      lines.push(
        m('expiring', {
          count: e.expiring.count,
          days: e.horizonDays,
          amount: amount(e.expiring.amountMinor),
          number: e.expiring.first.number,
          date: localDate(e.expiring.first.expiresAt, e.timeZone, lang),
        }),
      );
    }
    lines.push(
      m(kind === 'all_clear' ? 'all_clear' : 'outstanding', {
        count: e.outstanding.count,
        amount: amount(e.outstanding.amountMinor),
      }),
    );
  }
  const subject =
    kind === 'test'
      ? m('subject_test', { account: input.accountName })
      : kind === 'all_clear'
        ? m('subject_all_clear', { account: input.accountName, night: e.night })
        : m('subject', { account: input.accountName, night: e.night, count: actionCount(e) });
  const text = [subject, '', ...lines, ...details.map((d) => `- ${d}`), '', m('open_link', { link })].join(
    '\n',
  );
  return {
    subject,
    lines,
    details,
    link,
    text,
    html: digestHtml(lang, m('heading'), subject, lines, details, link),
  };
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function digestHtml(
  lang: Language,
  heading: string,
  subject: string,
  lines: string[],
  details: string[],
  link: string,
): string {
  const dir = lang === 'ar' ? 'rtl' : 'ltr';
  const align = lang === 'ar' ? 'right' : 'left';
  // Mail clients ignore most CSS: the direction is on the elements themselves, styles are inline.
  return `<!doctype html>
<html lang="${lang}" dir="${dir}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body dir="${dir}" style="font-family:Tahoma,Arial,sans-serif;text-align:${align};direction:${dir}">
<h1 style="font-size:18px">${escapeHtml(heading)}</h1>
<p><strong>${escapeHtml(subject)}</strong></p>
<ul>${lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>
${details.length > 0 ? `<ol>${details.map((d) => `<li><bdi>${escapeHtml(d)}</bdi></li>`).join('')}</ol>` : ''}
<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>
</body></html>`;
}

/** The webhook's JSON body: the numbers as they are (minor-unit strings), plus the lines in the endpoint's language. */
export function webhookPayload(
  kind: DigestKind,
  events: DigestEvents,
  rendered: RenderedDigest,
  accountId: string,
  sentAt: Date,
) {
  return {
    type: kind === 'test' ? 'alerts.test' : kind === 'all_clear' ? 'alerts.all_clear' : 'alerts.digest',
    timestamp: sentAt.toISOString(),
    data: { accountId, ...events, lines: rendered.lines, link: rendered.link },
  };
}
