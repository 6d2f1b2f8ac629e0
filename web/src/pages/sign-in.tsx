import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { get, post, setCsrfToken } from '../api.ts';
import { LanguageSwitch } from '../app.tsx';
import { useT } from '../locale.tsx';
import type { Me } from '../session.tsx';
import { ErrorMessage } from '../ui.tsx';

interface Demo {
  password: string;
  users: Array<{ email: string; role: string; account: string }>;
}

export default function SignIn() {
  const t = useT();
  const client = useQueryClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const demo = useQuery({
    queryKey: ['demo'],
    queryFn: () => get<Demo>('/demo').catch(() => null),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const signIn = useMutation({
    mutationFn: (body: { email: string; password: string }) => post<Me>('/session', body),
    onSuccess: (me) => {
      setCsrfToken(me.csrfToken);
      client.setQueryData(['me'], me);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    signIn.mutate({ email, password });
  };
  return (
    <main className="narrow sign-in">
      <div className="sign-in-head">
        <h1>{t('app.title')}</h1>
        <LanguageSwitch />
      </div>
      <p className="muted">{t('sign_in.intro')}</p>
      <form onSubmit={submit} className="card form">
        <h2>{t('sign_in.title')}</h2>
        <label>
          {t('sign_in.email')}
          <input
            type="email"
            name="email"
            autoComplete="username"
            required
            dir="ltr"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label>
          {t('sign_in.password')}
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            required
            dir="ltr"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <ErrorMessage error={signIn.error} />
        <button type="submit" className="primary" disabled={signIn.isPending}>
          {signIn.isPending ? t('sign_in.signing_in') : t('sign_in.submit')}
        </button>
      </form>
      {demo.data ? (
        <section className="card demo" aria-labelledby="demo-title">
          <h2 id="demo-title">{t('sign_in.demo_title')}</h2>
          <p>
            {t('sign_in.demo_password')} <code dir="ltr">{demo.data.password}</code>
          </p>
          <ul className="demo-users">
            {demo.data.users.map((u) => (
              <li key={u.email}>
                <button
                  type="button"
                  className="link-button"
                  onClick={() => {
                    setEmail(u.email);
                    setPassword(demo.data!.password);
                  }}
                >
                  <span dir="ltr">{u.email}</span>
                </button>{' '}
                <span className="muted">
                  {t(`role.${u.role}`)} · {u.account}
                </span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </main>
  );
}
