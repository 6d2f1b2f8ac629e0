import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount } from '../support/factories.ts';
import { ApiClient, useProduct } from '../support/http.ts';

const test = useTestDatabase();
const app = useProduct(test);
let account: AccountFixture;
let owner: ApiClient;

interface Refusal {
  error: {
    code: string;
    message: string;
    messageAr: string;
    wordsFrom: string;
    details: Array<{ path: string; message: string; code: string; messageAr: string }>;
  };
}

beforeAll(async () => {
  account = await makeAccount(test.db, 'JO');
  owner = new ApiClient(app.product.url!);
  await owner.signIn(account.users.owner.email);
  owner.accountId = account.id.toString();
});

describe('an invalid request in Arabic', () => {
  it('answers each problem of the body with its field and an Arabic message, zod’s English kept', async () => {
    const res = await owner.request<Refusal>('PUT', '/alerts/settings', {
      horizonDays: 0,
      dailyAllClear: 'yes',
      quietHours: { start: '25:00', end: '07:00' },
      colour: 'red',
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'invalid_request',
      message: 'the request is not valid',
      wordsFrom: 'catalogue',
    });
    expect(res.body.error.messageAr).toMatch(/[\u0600-\u06ff]/);
    const byPath = Object.fromEntries(res.body.error.details.map((d) => [d.path, d]));
    expect(byPath).toEqual({
      horizonDays: {
        path: 'horizonDays',
        code: 'too_small',
        message: 'at least 1 day',
        messageAr: 'الحقل «horizonDays»: يوم واحد على الأقل',
      },
      dailyAllClear: {
        path: 'dailyAllClear',
        code: 'invalid_type',
        message: 'Invalid input: expected boolean, received string',
        messageAr: 'الحقل «dailyAllClear»: يجب أن تكون القيمة true أو false',
      },
      'quietHours.start': {
        path: 'quietHours.start',
        code: 'invalid_format',
        message: 'must be a local time HH:MM (00:00–23:59)',
        messageAr: 'الحقل «quietHours.start»: يجب أن تكون وقتاً محلياً بصيغة HH:MM (من 00:00 إلى 23:59)',
      },
      '': {
        path: '',
        code: 'unrecognized_keys',
        message: 'Unrecognized key: "colour"',
        messageAr: 'الطلب: حقل غير معروف: "colour"',
      },
    });
  });

  it('says a missing field is required, and words a path parameter and a form field too', async () => {
    const missing = await owner.patch<Refusal>('/account', {});
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.map((d) => d.messageAr)).toEqual([
      'الطلب: اذكر إعداداً واحداً على الأقل لتغييره',
    ]);

    const noChannel = await owner.post<Refusal>('/alerts/recipients', { role: 'owner' });
    expect(noChannel.status).toBe(400);
    expect(noChannel.body.error.details).toContainEqual({
      path: 'channel',
      code: 'invalid_value',
      message: 'Invalid option: expected one of "email"|"sms"|"webhook"',
      messageAr: 'الحقل «channel»: يجب أن تكون القيمة "email" أو "sms" أو "webhook"',
    });
    const noName = await owner.post<Refusal>('/account/tokens', { role: 'viewer' });
    expect(noName.body.error.details).toContainEqual(
      expect.objectContaining({ path: 'name', code: 'invalid_type', messageAr: 'الحقل «name»: مطلوب' }),
    );

    const badId = await owner.get<Refusal>('/runs/abc');
    expect(badId.status).toBe(400);
    expect(badId.body.error.details).toEqual([
      {
        path: 'runId',
        code: 'invalid_format',
        message: 'must be a positive whole number',
        messageAr: 'الحقل «runId»: يجب أن تكون عدداً صحيحاً موجباً',
      },
    ]);

    const form = new FormData();
    form.append('mode', 'everything');
    form.append('file', new Blob(['plate\n13-1001\n']), 'fleet.csv');
    const upload = await fetch(`${owner.baseUrl}/api/v1/uploads`, {
      method: 'POST',
      headers: { cookie: owner.cookie!, 'x-csrf-token': owner.csrfToken!, 'x-account-id': owner.accountId! },
      body: form,
    });
    const refused = (await upload.json()) as Refusal;
    expect(upload.status).toBe(400);
    expect(refused.error.details).toEqual([
      {
        path: 'mode',
        code: 'invalid_value',
        message: 'mode must be "replace" or "merge"',
        messageAr: 'الحقل «mode»: يجب أن تكون قيمة mode إما "replace" أو "merge"',
      },
    ]);
  });
});
