/**
 * The blank vehicle-list workbook users download: bilingual headers the reader recognises, the
 * plate columns of the jurisdiction's scheme, an RTL sheet, and examples on a second sheet (the
 * reader only reads the first, so the examples are never uploaded as vehicles).
 */
import ExcelJS from 'exceljs';
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

const examples: Record<JurisdictionProfile['plateScheme'], { en: string; ar: string }[]> = {
  jo: [
    {
      en: 'Plate code 13, plate number 20697 (or 13-20697 in the number column)',
      ar: 'رمز اللوحة 13، رقم اللوحة 20697 (أو 13-20697 في عمود الرقم)',
    },
  ],
  iq: [
    {
      en: 'National plate: governorate 11 or Baghdad, letter ب, number 12345',
      ar: 'لوحة وطنية: المحافظة 11 أو بغداد، الحرف ب، الرقم 12345',
    },
    {
      en: 'Old plate: governorate Baghdad, no letter, number 123456',
      ar: 'لوحة قديمة: المحافظة بغداد، بدون حرف، الرقم 123456',
    },
  ],
  eg: [
    { en: 'Plate letters ب ط ر, plate number 1234', ar: 'حروف اللوحة ب ط ر، رقم اللوحة 1234' },
    {
      en: 'Old numbers-only plate: letters empty, number 123456',
      ar: 'لوحة أرقام فقط: الحروف فارغة، الرقم 123456',
    },
  ],
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
    { header: 'التعليمات', key: 'ar', width: 70 },
    { header: 'Instructions', key: 'en', width: 70 },
  ];
  help.addRow({
    ar: `أدخل مركبة واحدة في كل صف في الورقة الأولى (${profile.nameAr}). عمود رقم اللوحة إلزامي.`,
    en: `Enter one vehicle per row on the first sheet (${profile.nameEn}). The plate number column is required.`,
  });
  for (const example of examples[profile.plateScheme]) help.addRow(example);

  return Buffer.from(await workbook.xlsx.writeBuffer());
}
