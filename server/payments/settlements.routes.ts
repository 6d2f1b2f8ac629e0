import { z } from 'zod';
import { findAccount } from '../accounts/accounts.repo.ts';
import { DomainError } from '../errors.ts';
import { receiveUpload } from '../fleet/upload-receive.ts';
import { json } from '../http/answers.ts';
import { defineRoute } from '../http/routes.ts';
import { issueDetails } from '../i18n/issues.ts';
import { bilingual, message } from '../i18n/messages.ts';
import type { Currency } from '../money/money.ts';
import { settlementFileAnswer } from './payments.schemas.ts';
import { defaultSettlementLimits, readSettlementFile, SettlementFileError } from './settlement-file.ts';
import { recordPaymentBatch } from './settlement-matching.service.ts';

const REPORTED_ERRORS = 1000;
const fileNetworks = z.enum(['generic', 'efawateercom', 'fawry']);

/**
 * An accountant uploads the bank's or network's settlement file: every row is checked first, and
 * a file with any bad row records nothing (422 with every row's error). A transaction already
 * recorded (by a notification or an earlier file from the same network) is not counted again.
 */
export const settlementRoute = defineRoute({
  method: 'post',
  path: '/payments/settlements',
  responses: { 200: json(settlementFileAnswer) },
  tag: 'payments',
  summary:
    'Upload a settlement file (CSV or XLSX, multipart field "file", optional field "network"): validated in full, then each row recorded once per transaction id and matched',
  access: { kind: 'account', permission: 'money.write' },
  multipart: { fields: { network: fileNetworks.optional() } },
  handle: async (ctx) => {
    const received = await receiveUpload(ctx.req, defaultSettlementLimits.maxBytes, {
      formHint: 'with the optional form field "network"',
    });
    if (!received.bytes) {
      throw new DomainError(
        'settlement.too_large',
        bilingual('payments.settlement_too_large', { max: String(defaultSettlementLimits.maxBytes) }),
        {
          status: 413,
        },
      );
    }
    const network = fileNetworks.safeParse(received.fields.network ?? 'generic');
    if (!network.success) {
      throw new DomainError('invalid_request', 'network must be generic, efawateercom or fawry', {
        status: 400,
        details: issueDetails(network.error.issues, 'network'),
      });
    }
    const accountId = ctx.account!.id;
    const currency = (await ctx.tenant((trx) => findAccount(trx, accountId)))!.currency as Currency['code'];
    let file: Awaited<ReturnType<typeof readSettlementFile>>;
    try {
      file = await readSettlementFile(received.bytes, currency);
    } catch (error) {
      if (!(error instanceof SettlementFileError)) throw error;
      const { fileName } = received;
      throw new DomainError(
        error.code,
        { en: `${fileName}: ${error.message}`, ar: `${fileName}: ${error.messageAr}` },
        {
          status:
            error.code === 'settlement.unsupported_type'
              ? 415
              : error.code === 'settlement.too_large'
                ? 413
                : 422,
          details: { fileName: received.fileName },
        },
      );
    }
    if (file.errors.length > 0) {
      throw new DomainError(
        'settlement.invalid_rows',
        message('en', 'payments.settlement_invalid_rows', {
          count: new Set(file.errors.map((e) => e.row)).size,
        }),
        {
          status: 422,
          details: {
            fileName: received.fileName,
            rows: file.rows,
            messageAr: message('ar', 'payments.settlement_invalid_rows', {
              count: new Set(file.errors.map((e) => e.row)).size,
            }),
            errors: file.errors.slice(0, REPORTED_ERRORS),
            errorsTruncated: file.errors.length > REPORTED_ERRORS,
          },
        },
      );
    }
    const results = await ctx.tenant((trx) =>
      recordPaymentBatch(trx, accountId, network.data, 'settlement_file', file.payments),
    );
    const outcomes: Record<string, number> = {};
    for (const r of results.filter((x) => x.status === 'recorded'))
      outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    await ctx.audit({
      accountId,
      action: 'payments.settlement_uploaded',
      target: received.fileName,
      details: { sha256: received.sha256, rows: file.rows, outcomes },
    });
    return {
      body: {
        fileName: received.fileName,
        sha256: received.sha256,
        rows: file.rows,
        recorded: results.filter((r) => r.status === 'recorded').length,
        alreadyRecorded: results.filter((r) => r.status === 'duplicate_delivery').length,
        outcomes,
        results,
      },
    };
  },
});
