import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One message as the local mailbox keeps it. */
export interface KeptMail {
  messageId: string;
  accountId: string | null;
  from: string;
  to: string;
  subject: string;
  language: string | null;
  text: string;
  html: string;
  receivedAt: string;
}

export interface LocalMailbox {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * A real SMTP server on localhost for the quick start (smtp-server): it accepts any message, keeps
 * each once per Message-ID as a JSON file under `dir` (a second delivery of the same digest is
 * recognised and dropped), and the app shows them. Never for production mail.
 */
export async function startLocalMailbox(options: {
  dir: string;
  port: number;
  host?: string;
}): Promise<LocalMailbox> {
  fs.mkdirSync(options.dir, { recursive: true });
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: 5 * 1024 * 1024,
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          const messageId = mail.messageId ?? `<local-${Date.now()}-${Math.random().toString(36).slice(2)}>`;
          const kept: KeptMail = {
            messageId,
            accountId: headerText(mail.headers.get('x-fleet-account')),
            from: mail.from?.text ?? '',
            to: Array.isArray(mail.to) ? mail.to.map((t) => t.text).join(', ') : (mail.to?.text ?? ''),
            subject: mail.subject ?? '',
            language: headerText(mail.headers.get('content-language')),
            text: mail.text ?? '',
            html: typeof mail.html === 'string' ? mail.html : '',
            receivedAt: new Date().toISOString(),
          };
          const file = path.join(options.dir, `${fileSafe(messageId)}.json`);
          try {
            fs.writeFileSync(file, JSON.stringify(kept), { flag: 'wx' });
          } catch (error) {
            if ((error as { code?: string }).code !== 'EEXIST') throw error;
          }
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  server.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function headerText(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export function fileSafe(id: string): string {
  return id.replace(/[^A-Za-z0-9._@-]/g, '_').slice(0, 200);
}

/** The kept messages of one account, newest first. */
export function readKeptMail(dir: string, accountId: string, limit: number): KeptMail[] {
  return readJsonFiles<KeptMail>(dir)
    .filter((m) => m.accountId === accountId)
    .sort((a, b) => b.receivedAt.localeCompare(a.receivedAt))
    .slice(0, limit);
}

export function readJsonFiles<T>(dir: string): T[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  return names.map((n) => JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')) as T);
}
