/**
 * Jurisdiction profiles: everything that differs between Jordan, Iraq and Egypt is data here,
 * never an `if (jurisdiction === ...)` elsewhere. Amounts are integers in ISO 4217 minor units.
 */
export type JurisdictionCode = 'JO' | 'IQ' | 'EG';

export interface EscalationRule {
  /** Days after the offence with the fine still unpaid. */
  afterDays: number;
  /** Multiplier applied once, as a rational number so money never becomes a float. */
  numerator: number;
  denominator: number;
}

export interface JurisdictionProfile {
  code: JurisdictionCode;
  nameEn: string;
  nameAr: string;
  currency: 'JOD' | 'IQD' | 'EGP';
  /** ISO 4217 minor units (JOD 3, IQD 3, EGP 2). */
  minorUnits: number;
  /** Decimals shown to people (IQD is kept in fils by ISO but shown as whole dinars). */
  displayDecimals: number;
  timeZone: string;
  plateScheme: 'jo' | 'iq' | 'eg';
  escalation: EscalationRule[];
  /** Default nightly run time, local. */
  nightlyRunTime: string;
}

export const jurisdictions: Record<JurisdictionCode, JurisdictionProfile> = {
  JO: {
    code: 'JO',
    nameEn: 'Jordan',
    nameAr: 'الأردن',
    currency: 'JOD',
    minorUnits: 3,
    displayDecimals: 3,
    timeZone: 'Asia/Amman',
    plateScheme: 'jo',
    escalation: [{ afterDays: 30, numerator: 2, denominator: 1 }],
    nightlyRunTime: '02:00',
  },
  IQ: {
    code: 'IQ',
    nameEn: 'Iraq',
    nameAr: 'العراق',
    currency: 'IQD',
    minorUnits: 3,
    displayDecimals: 0,
    timeZone: 'Asia/Baghdad',
    plateScheme: 'iq',
    escalation: [{ afterDays: 30, numerator: 2, denominator: 1 }],
    nightlyRunTime: '02:00',
  },
  EG: {
    code: 'EG',
    nameEn: 'Egypt',
    nameAr: 'مصر',
    currency: 'EGP',
    minorUnits: 2,
    displayDecimals: 2,
    timeZone: 'Africa/Cairo',
    plateScheme: 'eg',
    escalation: [{ afterDays: 60, numerator: 3, denominator: 2 }],
    nightlyRunTime: '02:00',
  },
};

export const jurisdictionCodes = Object.keys(jurisdictions) as JurisdictionCode[];

export function isJurisdictionCode(value: string): value is JurisdictionCode {
  return Object.hasOwn(jurisdictions, value);
}
