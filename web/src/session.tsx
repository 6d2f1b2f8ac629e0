import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from 'react';
import { can, type Permission, type Role } from '../../server/accounts/permissions.ts';
import { ApiError, get, setAccountId, setCsrfToken } from './api.ts';

export interface Membership {
  id: string;
  legalNameEn: string;
  legalNameAr: string;
  jurisdiction: string;
  role: Role;
}

export interface Me {
  user: { id: string; email: string; displayName: string | null; isOperator: boolean };
  accounts: Membership[];
  csrfToken: string;
}

export interface Account {
  id: string;
  legalNameEn: string;
  legalNameAr: string;
  jurisdiction: string;
  currency: string;
  timeZone: string;
  nightlyRunTime: string;
}

interface Session {
  me: Me;
  membership: Membership | undefined;
  account: Account | undefined;
  chooseAccount(id: string): void;
  /** Whether the signed-in person's role in the chosen account may do this. */
  may(permission: Permission): boolean;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The account a person works in: theirs from last time if they still belong to it, else the first. */
function pickAccount(me: Me, wanted: string | null): string | undefined {
  return me.accounts.find((a) => a.id === wanted)?.id ?? me.accounts[0]?.id;
}

export function useMe() {
  return useQuery({
    queryKey: ['me'],
    queryFn: async () => {
      try {
        const me = await get<Me>('/me');
        setCsrfToken(me.csrfToken);
        return me;
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
  });
}

export function SessionProvider({ me, children }: { me: Me; children: ReactNode }) {
  const client = useQueryClient();
  const [accountId, setAccount] = useState(() => pickAccount(me, localStorage.getItem('ff.account')));
  const current = pickAccount(me, accountId ?? null);
  setAccountId(current);
  useEffect(() => {
    if (current) localStorage.setItem('ff.account', current);
  }, [current]);
  const membership = me.accounts.find((a) => a.id === current);
  const account = useQuery({
    queryKey: ['account', current],
    queryFn: () => get<Account>('/account'),
    enabled: current !== undefined,
    staleTime: 60_000,
  });
  const value = useMemo<Session>(
    () => ({
      me,
      membership,
      account: account.data,
      chooseAccount: (id) => {
        setAccountId(id);
        setAccount(id);
        // Everything cached belonged to the other account.
        client.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' });
      },
      may: (permission) => (membership ? can(membership.role, permission) : false),
    }),
    [me, membership, account.data, client],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}
