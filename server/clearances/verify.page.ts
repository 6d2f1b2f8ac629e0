/**
 * The public verification page, `GET /verify/{code}`: valid or revoked, the plate and the as-of
 * date, in Arabic and English, nothing else about the account. Rate-limited per client address in
 * PostgreSQL (shared by every web process), so codes cannot be tried in bulk.
 */
import express from 'express';
import { countLoginAttempt } from '../auth/auth.repo.ts';
import type { Database } from '../db/database.ts';
import { type Language, message } from '../i18n/messages.ts';
import { localDateTimeText } from '../statements/format.ts';
import { verifyCode } from './clearances.service.ts';

export const VERIFY_LIMIT = { requests: 30, windowSeconds: 60 };

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

type Verdict = Awaited<ReturnType<typeof verifyCode>>;

function section(language: Language, verdict: Verdict): string {
  const t = (key: string, values?: Record<string, string>) =>
    escapeHtml(message(language, `statements.${key}`, values));
  const dir = language === 'ar' ? 'rtl' : 'ltr';
  if (!verdict) {
    return `<section lang="${language}" dir="${dir}"><h1>${t('verify_title')}</h1><p class="unknown">${t('verify_unknown')}</p></section>`;
  }
  const when = (at: Date) => `<bdi dir="ltr">${escapeHtml(localDateTimeText(at, verdict.timeZone))}</bdi>`;
  const status =
    verdict.status === 'valid'
      ? `<p class="status valid">${t('verify_valid')}</p>`
      : `<p class="status revoked">${t('verify_revoked')}</p>${
          verdict.revokedAt
            ? `<p>${t('verify_revoked_at', { date: '\u0000' }).replace('\u0000', when(verdict.revokedAt))}</p>`
            : ''
        }`;
  return `<section lang="${language}" dir="${dir}"><h1>${t('verify_title')}</h1>${status}
<dl><dt>${t('plate')}</dt><dd><bdi>${escapeHtml(verdict.plate)}</bdi></dd>
<dt>${t('as_of')}</dt><dd>${when(verdict.asOf)}</dd></dl></section>`;
}

export function verificationPage(verdict: Verdict): string {
  return `<!doctype html>
<html lang="ar" dir="rtl"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(message('ar', 'statements.verify_title'))} · ${escapeHtml(message('en', 'statements.verify_title'))}</title>
<style>
body{font-family:system-ui,"Noto Naskh Arabic","Amiri",sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.6}
section{border:1px solid #ccc;border-radius:8px;padding:1rem 1.25rem;margin-bottom:1rem}
h1{font-size:1.2rem;margin:0 0 .5rem}
.status{font-size:1.4rem;font-weight:bold;margin:.25rem 0}.valid{color:#176f2c}.revoked{color:#a11b1b}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:.5rem 0 0}dt{font-weight:bold}dd{margin:0}
</style></head><body>
${section('ar', verdict)}
${section('en', verdict)}
</body></html>`;
}

export function verifyRoutes(db: Database): express.Router {
  const router = express.Router();
  router.get('/verify/:code', async (req, res) => {
    res.set({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-robots-tag': 'noindex' });
    const [count] = await countLoginAttempt(
      db,
      [`verify-ip:${req.ip ?? 'unknown'}`],
      VERIFY_LIMIT.windowSeconds,
    );
    if (count && count.failures > VERIFY_LIMIT.requests) {
      res
        .set('retry-after', String(VERIFY_LIMIT.windowSeconds))
        .status(429)
        .type('text/plain; charset=utf-8');
      res.send(
        `${message('en', 'statements.verify_too_many')}\n${message('ar', 'statements.verify_too_many')}`,
      );
      return;
    }
    const verdict = await verifyCode(db, req.params.code);
    res
      .status(verdict ? 200 : 404)
      .type('text/html; charset=utf-8')
      .send(verificationPage(verdict));
  });
  return router;
}
