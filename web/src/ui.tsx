import { type ReactNode, useId } from 'react';
import { useIntl } from 'react-intl';
import { errorText, serverWords } from './errors.ts';
import { usePreferences, useT } from './locale.tsx';

/** An API error said in words, announced to screen readers. */
export function ErrorMessage({ error }: { error: unknown }) {
  const t = useT();
  const intl = useIntl();
  const { language } = usePreferences();
  if (!error) return null;
  const words = serverWords(error, language);
  return (
    <p className="error" role="alert">
      {errorText(t, error, (id) => id in intl.messages)}
      {words ? (
        <span className="error-detail" dir="auto" data-testid="error-detail">
          {words}
        </span>
      ) : null}
    </p>
  );
}

export function Loading() {
  const t = useT();
  return (
    <p className="muted" aria-live="polite">
      {t('common_ui.loading')}
    </p>
  );
}

export function Card({
  title,
  children,
  className,
}: {
  title?: string;
  children: ReactNode;
  className?: string;
}) {
  const id = useId();
  return (
    <section className={`card ${className ?? ''}`} aria-labelledby={title ? id : undefined}>
      {title ? <h2 id={id}>{title}</h2> : null}
      {children}
    </section>
  );
}

export function Badge({ kind, children }: { kind: string; children: ReactNode }) {
  return <span className={`badge badge-${kind}`}>{children}</span>;
}

/** A wide table's box: it scrolls sideways on a phone, and takes focus so a keyboard can scroll it. */
export function TableScroll({ children }: { children: ReactNode }) {
  const t = useT();
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard
    <section className="table-scroll" tabIndex={0} aria-label={t('common_ui.table')}>
      {children}
    </section>
  );
}
