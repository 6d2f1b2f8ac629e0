import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useSearch } from 'wouter';
import { post } from '../api.ts';
import { LanguageSwitch } from '../app.tsx';
import { useT } from '../locale.tsx';
import { ErrorMessage } from '../ui.tsx';

/** /invitation?token=…: the invited person chooses a password, then signs in. */
export default function AcceptInvitation() {
  const t = useT();
  const search = new URLSearchParams(useSearch());
  const [token, setToken] = useState(search.get('token') ?? '');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const accept = useMutation({
    mutationFn: () =>
      post('/invitations/accept', { token, password, ...(displayName ? { displayName } : {}) }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    accept.mutate();
  };
  return (
    <main className="narrow">
      <div className="sign-in-head">
        <h1>{t('invitation.title')}</h1>
        <LanguageSwitch />
      </div>
      {accept.isSuccess ? (
        <div className="card" role="status">
          <p>{t('invitation.done')}</p>
          <Link href="/">{t('invitation.sign_in')}</Link>
        </div>
      ) : (
        <form onSubmit={submit} className="card form">
          <label>
            {t('invitation.token')}
            <input required dir="ltr" value={token} onChange={(e) => setToken(e.target.value)} />
          </label>
          <label>
            {t('invitation.name')}
            <input autoComplete="name" value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
          </label>
          <label>
            {t('invitation.password')}
            <input
              type="password"
              required
              minLength={12}
              autoComplete="new-password"
              dir="ltr"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
            <span className="hint">{t('invitation.password_hint')}</span>
          </label>
          <ErrorMessage error={accept.error} />
          <button type="submit" className="primary" disabled={accept.isPending}>
            {t('invitation.submit')}
          </button>
        </form>
      )}
    </main>
  );
}
