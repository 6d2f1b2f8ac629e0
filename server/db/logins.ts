import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';

/**
 * The database logins of the running product. The DATABASE_URL role only migrates; the
 * application and pg-boss each log in as a role of their own (created by sql/0015), whose
 * passwords come from the configuration (or, on the embedded database, from the data folder).
 */
export const APP_ROLE = 'fleet_app';
export const QUEUE_ROLE = 'fleet_queue';

export interface LoginPasswords {
  /** Password of `fleet_app`: the application behind row-level security. */
  app: string;
  /** Password of `fleet_queue`: pg-boss's own connections. */
  queue: string;
}

/** What a login password must look like: long, and plain ASCII so every client hashes it alike. */
export const LOGIN_PASSWORD = /^[\x21-\x7e]{16,200}$/;

/** The owner's connection URL with another role's credentials: same server, database and parameters. */
export function loginUrl(ownerUrl: string, role: string, password: string): string {
  const url = new URL(ownerUrl);
  url.username = role;
  url.password = password;
  return url.toString();
}

/**
 * A SCRAM-SHA-256 verifier for `password` (RFC 5802, as PostgreSQL stores it), so ALTER ROLE
 * never sends the password itself: statements can end up in the server's log.
 */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

// A login refused for its password, or because the role may not log in yet.
const REFUSED_LOGIN = new Set(['28P01', '28000']);

/**
 * Makes each login answer to its password, run with the owner's URL after the migrations. A role
 * that already logs in with it is left alone: roles belong to the whole server, so starting
 * processes (or test runs cloning databases) must not rewrite one another's catalogue rows.
 */
export async function setLoginPasswords(ownerUrl: string, passwords: LoginPasswords): Promise<void> {
  for (const [role, password] of [
    [APP_ROLE, passwords.app],
    [QUEUE_ROLE, passwords.queue],
  ] as const) {
    if ((await tryLogin(ownerUrl, role, password)) === undefined) continue;
    await alterPassword(ownerUrl, role, password);
    const refused = await tryLogin(ownerUrl, role, password);
    if (refused) {
      throw new Error(
        `the database refuses the login "${role}" with its configured password even after setting it (${refused.message}); ` +
          'its pg_hba.conf must let this role connect to this database with a password',
        { cause: refused },
      );
    }
  }
}

async function tryLogin(ownerUrl: string, role: string, password: string): Promise<Error | undefined> {
  const client = new pg.Client({
    connectionString: loginUrl(ownerUrl, role, password),
    connectionTimeoutMillis: 10_000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return undefined;
  } catch (error) {
    if (REFUSED_LOGIN.has((error as { code?: string }).code ?? '')) return error as Error;
    throw error;
  } finally {
    await client.end().catch(() => {});
  }
}

async function alterPassword(ownerUrl: string, role: string, password: string): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    const statement = `alter role ${client.escapeIdentifier(role)} password ${client.escapeLiteral(scramVerifier(password))}`;
    // Two processes setting the same role's password at once: one of them is told the row moved.
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(statement);
        return;
      } catch (error) {
        if (!/tuple concurrently updated/.test((error as Error).message) || attempt >= 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  } finally {
    await client.end();
  }
}

/**
 * The embedded database's login passwords, generated on first use and kept beside its data
 * folder (mode 0600), like its superuser's.
 */
export function embeddedLoginPasswords(embeddedPgDir: string): LoginPasswords {
  const file = `${path.resolve(embeddedPgDir)}.logins.json`;
  try {
    const kept = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LoginPasswords>;
    if (typeof kept.app === 'string' && typeof kept.queue === 'string')
      return { app: kept.app, queue: kept.queue };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(
        `${file}: unreadable (${(error as Error).message}); delete it to generate new passwords`,
        {
          cause: error,
        },
      );
    }
  }
  const passwords = {
    app: randomBytes(24).toString('base64url'),
    queue: randomBytes(24).toString('base64url'),
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(passwords, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temp, file);
  return passwords;
}
