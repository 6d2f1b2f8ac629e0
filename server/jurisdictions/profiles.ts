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

/** A payment channel and what it costs on top of the amount, as a rational rate. */
export interface PaymentChannel {
  channel: string;
  surchargeNumerator: number;
  surchargeDenominator: number;
}

export interface PaymentProfile {
  /**
   * Whether the authority issues one payable number for several violations. Where it does not,
   * the product issues its own reference of the same shape as a payment order for the accountant.
   */
  authorityIssuesConsolidated: boolean;
  /** The longest a number stays valid when no escalation deadline comes first. */
  maxValidityDays: number;
  /** Ways to pay and what each costs (Egypt charges 5% more at a cash counter). */
  channels: PaymentChannel[];
  /** Days a paid line may stay outstanding at the authority before it is an exception. */
  paidStillOutstandingDays: number;
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
  payments: PaymentProfile;
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
    // Amman gives "an e-payment number for each violation or for all violations together".
    payments: {
      authorityIssuesConsolidated: true,
      maxValidityDays: 30,
      channels: [{ channel: 'efawateercom', surchargeNumerator: 0, surchargeDenominator: 1 }],
      paidStillOutstandingDays: 5,
    },
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
    payments: {
      authorityIssuesConsolidated: false,
      maxValidityDays: 30,
      channels: [{ channel: 'e_bill', surchargeNumerator: 0, surchargeDenominator: 1 }],
      paidStillOutstandingDays: 5,
    },
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
    // Paying electronically (Fawry) avoids the 5% charged on cash.
    payments: {
      authorityIssuesConsolidated: false,
      maxValidityDays: 14,
      channels: [
        { channel: 'fawry', surchargeNumerator: 0, surchargeDenominator: 1 },
        { channel: 'cash', surchargeNumerator: 5, surchargeDenominator: 100 },
      ],
      paidStillOutstandingDays: 7,
    },
  },
};

export const jurisdictionCodes = Object.keys(jurisdictions) as JurisdictionCode[];

export function isJurisdictionCode(value: string): value is JurisdictionCode {
  return Object.hasOwn(jurisdictions, value);
}
