/**
 * The blank vehicle-list workbook users download: bilingual headers the reader recognises, the
 * plate columns of the jurisdiction's scheme, an RTL sheet, and examples on a second sheet (the
 * reader only reads the first, so the examples are never uploaded as vehicles).
 */
import ExcelJS from 'exceljs';
import { bilingual, message } from '../i18n/messages.ts';
import type { JurisdictionCode, JurisdictionProfile } from '../jurisdictions/profiles.ts';
import { jurisdictions } from '../jurisdictions/profiles.ts';
import type { VehicleField } from './upload-columns.ts';
import { columnTitles } from './upload-columns.ts';

const commonFields: VehicleField[] = ['registrationNumber', 'vin', 'label', 'costCentre', 'driver'];

/** Plate columns per scheme, in the order people read the plate. */
export const templatePlateFields: Record<JurisdictionProfile['plateScheme'], VehicleField[]> = {
  jo: ['plateCode', 'plate'],
  iq: ['governorate', 'plateLetters', 'plate'],
  eg: ['plateLetters', 'plate'],
};

/** The worked examples on the instructions sheet, per plate scheme (uploads catalogue). */
const examples: Record<JurisdictionProfile['plateScheme'], string[]> = {
  jo: ['template_example_jo'],
  iq: ['template_example_iq_national', 'template_example_iq_old'],
  eg: ['template_example_eg_letters', 'template_example_eg_numbers'],
};

/** Fixed so the same jurisdiction always gives the same workbook content. */
const TEMPLATE_DATE = new Date('2026-01-01T00:00:00Z');

function templateHeader(field: VehicleField): string {
  return `${columnTitles[field].ar} / ${columnTitles[field].en}`;
}

export async function writeUploadTemplate(jurisdiction: JurisdictionCode): Promise<Buffer> {
  const profile = jurisdictions[jurisdiction];
  const fields = [...templatePlateFields[profile.plateScheme], ...commonFields];
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'Fleet fines';
  workbook.created = TEMPLATE_DATE;
  workbook.modified = TEMPLATE_DATE;

  const sheet = workbook.addWorksheet('Vehicles', {
    views: [{ rightToLeft: true, state: 'frozen', ySplit: 1 }],
  });
  sheet.columns = fields.map((field) => ({
    header: templateHeader(field),
    key: field,
    width: Math.max(18, templateHeader(field).length + 4),
    // Text format: stops Excel from turning plates into numbers or dates and dropping zeros.
    style: { numFmt: '@' },
  }));
  sheet.getRow(1).font = { bold: true };

  const help = workbook.addWorksheet('Instructions', { views: [{ rightToLeft: true }] });
  help.columns = [
    { header: message('ar', 'uploads.template_title'), key: 'ar', width: 70 },
    { header: message('en', 'uploads.template_title'), key: 'en', width: 70 },
  ];
  help.addRow({
    ar: message('ar', 'uploads.template_intro', { country: profile.nameAr }),
    en: message('en', 'uploads.template_intro', { country: profile.nameEn }),
  });
  for (const key of examples[profile.plateScheme]) help.addRow(bilingual(`uploads.${key}`));

  return Buffer.from(await workbook.xlsx.writeBuffer());
}
