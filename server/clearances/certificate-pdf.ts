/**
 * The clearance certificate: one A4 page in Arabic and English — the account, the vehicle, as of
 * when nothing was outstanding, the verification code and a QR link to the public page.
 */
import { PagedPdf } from '../documents/pdf-pages.ts';
import { drawQr } from '../documents/pdf-qr.ts';
import { isolate, ltr } from '../documents/pdf-text.ts';
import type { Language } from '../i18n/messages.ts';
import { localDateTimeText, t } from '../statements/format.ts';

export interface CertificateContent {
  account: { nameAr: string; nameEn: string; registryNumber: string; jurisdiction: string; timeZone: string };
  vehicle: { plate: string; registrationNumber: string | null };
  certificateId: bigint;
  asOf: Date;
  issuedAt: Date;
  code: string;
  verifyUrl: string;
}

export async function writeCertificatePdf(content: CertificateContent): Promise<Buffer> {
  const zone = content.account.timeZone;
  const pdf = new PagedPdf({
    base: 'rtl',
    totalPages: 1,
    title: `${t('en', 'clearance_title')} ${content.certificateId}`,
    createdAt: content.issuedAt,
    footer: (page, pages) => ({
      left: `${t('en', 'clearance_title')} ${content.certificateId} · ${t('en', 'page', { page, pages })}`,
      right: t('ar', 'page', { page, pages }),
    }),
  });
  pdf.newPage();
  const section = (language: Language) => {
    const base = language === 'ar' ? 'rtl' : 'ltr';
    const text = (key: string) => t(language, key);
    pdf.line(text('clearance_title'), { size: 18, bold: true, base, gap: 2 });
    pdf.paragraph(text('clearance_statement'), { size: 10.5, base });
    pdf.field(text('account'), isolate(language === 'ar' ? content.account.nameAr : content.account.nameEn), {
      base,
    });
    pdf.field(text('registry_number'), ltr(content.account.registryNumber), { base });
    pdf.field(text('jurisdiction'), text(`jurisdiction_${content.account.jurisdiction}`), { base });
    pdf.field(text('plate'), isolate(content.vehicle.plate), { base });
    if (content.vehicle.registrationNumber) {
      pdf.field(text('registration_number'), ltr(content.vehicle.registrationNumber), { base });
    }
    pdf.field(text('as_of'), ltr(localDateTimeText(content.asOf, zone)), { base });
    pdf.field(text('certificate_issued'), ltr(localDateTimeText(content.issuedAt, zone)), { base });
    pdf.field(text('verification_code'), ltr(content.code), { base, bold: true });
    pdf.field(text('verify_at'), ltr(content.verifyUrl), { base, size: 8.5 });
    pdf.y += 18;
  };
  section('ar');
  section('en');
  const size = 130;
  drawQr(pdf.doc, content.verifyUrl, { x: (pdf.pageWidth - size) / 2, y: pdf.y, size });
  return pdf.finish();
}
