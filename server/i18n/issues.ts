/**
 * zod's issues in both languages. A refused request keeps zod's English (or the schema's own
 * English) as each issue's `message`; its Arabic comes from the `requests` catalogue: the schema's
 * own words where the schema took its message from the catalogue (`schemaMessage`), otherwise the
 * catalogue's sentence for the issue's code, with the counts and bounds zod reports.
 */
import type { z } from 'zod';
import type { Words } from '../errors.ts';
import { type Language, type MessageValues, message } from './messages.ts';

type Issue = z.core.$ZodIssue;

/** English messages schemas took from the catalogue → their key and values, to word them in Arabic. */
const schemaWords = new Map<string, { key: string; values: MessageValues | undefined }>();

/**
 * A schema's own message for a refusal (a regex's, a refinement's), from the catalogue: the English
 * is what zod reports as the issue's message, and the issue is worded in Arabic by the same key.
 */
export function schemaMessage(key: string, values?: MessageValues): string {
  const english = message('en', key, values);
  schemaWords.set(english, { key, values });
  return english;
}

/** A count of what a string, list or file holds, as a counted noun (`12 حرفاً`). */
const sizeNoun: Partial<Record<string, string>> = {
  string: 'requests.count_characters',
  array: 'requests.count_items',
  set: 'requests.count_items',
  map: 'requests.count_items',
  file: 'requests.count_bytes',
};

const quoted = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value) : String(value));

function list(language: Language, values: readonly unknown[], type: 'conjunction' | 'disjunction') {
  return new Intl.ListFormat(language, { type }).format(values.map(quoted));
}

/** A bound zod reports (a minimum or maximum), as the catalogue's sentence for it. */
function bound(
  language: Language,
  issue: Extract<Issue, { code: 'too_small' | 'too_big' }>,
  limit: number | bigint,
): string {
  const below = issue.code === 'too_small';
  const noun = sizeNoun[issue.origin];
  if (noun !== undefined) {
    // zod's bounds on sizes (min, max, length) include the bound.
    const amount = message(language, noun, { count: Number(limit) });
    const key = issue.exact ? 'size_exactly' : below ? 'size_at_least' : 'size_at_most';
    return message(language, `requests.${key}`, { amount });
  }
  const amount = issue.origin === 'date' ? new Date(Number(limit)).toISOString() : String(limit);
  const key = issue.exact
    ? 'value_exactly'
    : issue.inclusive
      ? below
        ? 'value_at_least'
        : 'value_at_most'
      : below
        ? 'value_more_than'
        : 'value_less_than';
  return message(language, `requests.${key}`, { amount });
}

/** What is wrong, in one language, without where. */
export function issueText(language: Language, issue: Issue): string {
  const own = schemaWords.get(issue.message);
  if (own) return message(language, own.key, own.values);
  switch (issue.code) {
    case 'invalid_type':
      // zod reports no input (it may be a password), but its own English says when nothing was sent.
      return issue.message.endsWith('received undefined')
        ? message(language, 'requests.required')
        : message(language, 'requests.invalid_type', { expected: issue.expected });
    case 'too_small':
      return bound(language, issue, issue.minimum);
    case 'too_big':
      return bound(language, issue, issue.maximum);
    case 'invalid_format':
      if (issue.format === 'starts_with' || issue.format === 'ends_with' || issue.format === 'includes') {
        const { prefix, suffix, includes } = issue as { prefix?: string; suffix?: string; includes?: string };
        return message(language, `requests.${issue.format}`, { text: prefix ?? suffix ?? includes ?? '' });
      }
      return message(language, 'requests.format', { format: issue.format });
    case 'not_multiple_of':
      return message(language, 'requests.not_multiple_of', { divisor: String(issue.divisor) });
    case 'unrecognized_keys':
      return message(language, 'requests.unrecognized_keys', {
        count: issue.keys.length,
        keys: list(language, issue.keys, 'conjunction'),
      });
    case 'invalid_union': {
      // A discriminated union names the values its discriminator accepts.
      const options = 'options' in issue ? issue.options : undefined;
      return options && options.length > 0
        ? message(language, 'requests.one_of', { values: list(language, options, 'disjunction') })
        : message(language, 'requests.invalid_union');
    }
    case 'invalid_key':
      return message(language, 'requests.invalid_key');
    case 'invalid_element':
      return message(language, 'requests.invalid_element');
    case 'invalid_value':
      return message(language, 'requests.one_of', { values: list(language, issue.values, 'disjunction') });
    default:
      return message(language, 'requests.custom');
  }
}

/**
 * An issue in both languages, without where: the English is the issue's own message, unchanged;
 * the Arabic is the schema's own words or the catalogue's sentence for the code.
 */
export function issueSentence(issue: Issue): Words {
  return { en: issue.message, ar: issueText('ar', issue) };
}

/** An issue's field path as people quote it (`quietHours.start`, `vehicleIds.0`). */
export const issuePath = (issue: Issue): string => issue.path.map(String).join('.');

/** An issue in Arabic with the field it concerns (or the request as a whole). */
export function issueMessageAr(issue: Issue): string {
  const problem = issueText('ar', issue);
  const path = issuePath(issue);
  return path === ''
    ? message('ar', 'requests.in_request', { problem })
    : message('ar', 'requests.in_field', { path, problem });
}

export interface IssueDetail {
  path: string;
  message: string;
  code: string;
  messageAr: string;
}

/**
 * The `invalid_request` envelope's details: each issue's path, zod's English, its code and Arabic.
 * `field` names the field a schema was given alone (a multipart form's field), which the paths lack.
 */
export function issueDetails(issues: readonly Issue[], field?: string): IssueDetail[] {
  return issues.map((found) => {
    const issue = field === undefined ? found : { ...found, path: [field, ...found.path] };
    return {
      path: issuePath(issue),
      message: issue.message,
      code: issue.code,
      messageAr: issueMessageAr(issue),
    };
  });
}
