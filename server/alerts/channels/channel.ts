/** What the outbox hands a channel: one rendered digest for one destination. */
export interface OutgoingAlert {
  accountId: string;
  destination: string;
  language: 'ar' | 'en';
  /** The same on every attempt: receivers drop a delivery they already have by it. */
  idempotencyKey: string;
  subject: string;
  text: string;
  html: string;
  /** SMS: lines and link, to be cut to the length rules. */
  lines: string[];
  link: string;
  /** Webhooks: the JSON body. */
  json: string;
  /** Webhooks: the endpoint's signing secret. */
  secret: string | null;
}

/** A channel either delivers (resolves) or throws an error whose message says why, for the attempt log. */
export interface AlertChannel {
  send(alert: OutgoingAlert): Promise<void>;
  close?(): Promise<void>;
}

export interface AlertChannels {
  email: AlertChannel;
  sms: AlertChannel;
  webhook: AlertChannel;
}

export type ChannelName = keyof AlertChannels;

/** A reply body's first characters, for an error message. */
export async function replyExcerpt(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  return text.slice(0, 200).replace(/\s+/g, ' ').trim();
}
