import { useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useRef } from 'react';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { del } from './api.ts';
import { usePreferences, useT } from './locale.tsx';
import { SessionProvider, useMe, useSession } from './session.tsx';
import { ErrorMessage, Loading } from './ui.tsx';

const SignIn = lazy(() => import('./pages/sign-in.tsx'));
const AcceptInvitation = lazy(() => import('./pages/accept-invitation.tsx'));
const Dashboard = lazy(() => import('./pages/dashboard.tsx'));
const Fleet = lazy(() => import('./pages/fleet.tsx'));
const Vehicle = lazy(() => import('./pages/vehicle.tsx'));
const Runs = lazy(() => import('./pages/runs.tsx'));
const Run = lazy(() => import('./pages/run.tsx'));
const Violations = lazy(() => import('./pages/violations.tsx'));
const Payments = lazy(() => import('./pages/payments.tsx'));
const Exceptions = lazy(() => import('./pages/exceptions.tsx'));
const Settings = lazy(() => import('./pages/settings.tsx'));
const Certificates = lazy(() => import('./pages/certificates.tsx'));
const Alerts = lazy(() => import('./pages/alerts.tsx'));

export function App() {
  const me = useMe();
  const t = useT();
  const [location] = useLocation();
  if (me.isPending) return <Loading />;
  if (me.isError)
    return (
      <main className="narrow">
        <ErrorMessage error={me.error} />
      </main>
    );
  if (location.startsWith('/invitation'))
    return (
      <Suspense fallback={<Loading />}>
        <AcceptInvitation />
      </Suspense>
    );
  if (!me.data)
    return (
      <Suspense fallback={<Loading />}>
        <SignIn />
      </Suspense>
    );
  if (me.data.accounts.length === 0)
    return (
      <main className="narrow">
        <h1>{t('app.title')}</h1>
        <p>{t('app.no_accounts')}</p>
        <SignOutButton />
      </main>
    );
  return (
    <SessionProvider me={me.data}>
      <Shell />
    </SessionProvider>
  );
}

function SignOutButton() {
  const t = useT();
  const client = useQueryClient();
  const [, navigate] = useLocation();
  return (
    <button
      type="button"
      className="link-button"
      onClick={async () => {
        await del('/session').catch(() => undefined);
        client.clear();
        navigate('/');
        client.setQueryData(['me'], null);
      }}
    >
      {t('nav.sign_out')}
    </button>
  );
}

function LanguageSwitch() {
  const { language, setLanguage } = usePreferences();
  // Each language's name in itself, so a person who cannot read the current one finds theirs.
  return (
    <button
      type="button"
      className="link-button"
      lang={language === 'ar' ? 'en' : 'ar'}
      onClick={() => setLanguage(language === 'ar' ? 'en' : 'ar')}
    >
      {language === 'ar' ? 'English' : 'العربية'}
    </button>
  );
}

export { LanguageSwitch };

function AccountSwitcher() {
  const t = useT();
  const { me, membership, chooseAccount } = useSession();
  const { language } = usePreferences();
  const name = (a: { legalNameAr: string; legalNameEn: string }) =>
    language === 'ar' ? a.legalNameAr : a.legalNameEn;
  if (me.accounts.length < 2)
    return <span className="account-name">{membership ? name(membership) : ''}</span>;
  return (
    <label className="account-switcher">
      <span className="visually-hidden">{t('nav.account')}</span>
      <select value={membership?.id} onChange={(e) => chooseAccount(e.target.value)}>
        {me.accounts.map((a) => (
          <option key={a.id} value={a.id}>
            {name(a)}
          </option>
        ))}
      </select>
    </label>
  );
}

function NavLink({ href, label }: { href: string; label: string }) {
  const [location] = useLocation();
  const current = href === '/' ? location === '/' : location.startsWith(href);
  return (
    <Link href={href} aria-current={current ? 'page' : undefined}>
      {label}
    </Link>
  );
}

function Shell() {
  const t = useT();
  const { me, membership, may } = useSession();
  const [location] = useLocation();
  const main = useRef<HTMLElement>(null);
  // A new page moves focus to its content, so keyboard and screen-reader users start there.
  const shown = useRef(location);
  useEffect(() => {
    if (shown.current === location) return;
    shown.current = location;
    main.current?.focus();
  }, [location]);
  return (
    <>
      <a className="skip-link" href="#main">
        {t('nav.skip')}
      </a>
      <header className="topbar">
        <div className="brand">
          <Link href="/">{t('app.short_title')}</Link>
        </div>
        <AccountSwitcher />
        <div className="topbar-end">
          <span className="user" title={me.user.email}>
            {me.user.displayName ?? me.user.email}
            {membership ? <span className="muted"> · {t(`role.${membership.role}`)}</span> : null}
          </span>
          <LanguageSwitch />
          <SignOutButton />
        </div>
      </header>
      <nav className="mainnav" aria-label={t('nav.label')}>
        <NavLink href="/" label={t('nav.dashboard')} />
        <NavLink href="/fleet" label={t('nav.fleet')} />
        <NavLink href="/runs" label={t('nav.runs')} />
        <NavLink href="/violations" label={t('nav.violations')} />
        {may('money.read') ? <NavLink href="/payments" label={t('nav.payments')} /> : null}
        {may('money.read') ? <NavLink href="/exceptions" label={t('nav.exceptions')} /> : null}
        {may('money.read') ? <NavLink href="/certificates" label={t('nav.certificates')} /> : null}
        <NavLink href="/settings" label={t('nav.settings')} />
        {may('account.manage') ? <NavLink href="/alerts" label={t('alerts.page_title')} /> : null}
      </nav>
      <main id="main" ref={main} tabIndex={-1}>
        <Suspense fallback={<Loading />}>
          <Switch>
            <Route path="/" component={Dashboard} />
            <Route path="/fleet" component={Fleet} />
            <Route path="/vehicles/:id">{(p) => <Vehicle id={p.id} />}</Route>
            <Route path="/runs" component={Runs} />
            <Route path="/runs/:id">{(p) => <Run id={p.id} />}</Route>
            <Route path="/violations" component={Violations} />
            <Route path="/payments" component={Payments} />
            <Route path="/exceptions" component={Exceptions} />
            <Route path="/settings" component={Settings} />
            <Route path="/certificates" component={Certificates} />
            <Route path="/alerts" component={Alerts} />
            <Route path="/sign-in">
              <Redirect to="/" />
            </Route>
            <Route>
              <h1>{t('app.not_found')}</h1>
              <Link href="/">{t('nav.dashboard')}</Link>
            </Route>
          </Switch>
        </Suspense>
      </main>
    </>
  );
}
