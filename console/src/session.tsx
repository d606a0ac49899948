/**
 * Who is signed in: the access token (kept for the browser tab only), the user from /auth/me, the
 * language remembered per user, and sign-out with a message when the API refuses the token.
 */
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, onTokenExpired, setToken, type Schemas } from './api/client';
import { i18n } from './i18n';

const KEY = 'hes.session';
const langKey = (username: string) => `hes.lang.${username}`;

interface Stored {
  accessToken: string;
  username: string;
}

export interface Session {
  me: Schemas['Me'] | null;
  /** Why the last session ended (an i18n key), shown on the sign-in screen. */
  notice: string;
  signIn(username: string, password: string): Promise<void>;
  signOut(notice?: string): Promise<void>;
  refreshMe(): Promise<void>;
  setLanguage(lang: string): void;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

function stored(): Stored | null {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Stored | null;
  } catch {
    return null;
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Schemas['Me'] | null>(null);
  const [loading, setLoading] = useState(() => stored() !== null);
  const [notice, setNotice] = useState('');

  const forget = useCallback((why: string) => {
    sessionStorage.removeItem(KEY);
    setToken('');
    setMe(null);
    setNotice(why);
  }, []);

  const refreshMe = useCallback(async () => {
    const m = await api.get('/api/v1/auth/me');
    const lang = localStorage.getItem(langKey(m.username));
    if (lang && lang !== i18n.language) await i18n.changeLanguage(lang);
    setMe(m);
  }, []);

  useEffect(() => {
    onTokenExpired(() => forget('session.expired'));
    const s = stored();
    if (!s) return;
    setToken(s.accessToken);
    refreshMe().catch(() => forget('session.expired')).finally(() => setLoading(false));
  }, [forget, refreshMe]);

  const session: Session = {
    me,
    notice,
    async signIn(username, password) {
      const pair = await api.post('/api/v1/auth/login', { body: { username, password } });
      sessionStorage.setItem(KEY, JSON.stringify({ accessToken: pair.accessToken, username }));
      setToken(pair.accessToken);
      setNotice('');
      await refreshMe();
    },
    async signOut(why = '') {
      await api.post('/api/v1/auth/logout').catch(() => undefined);
      forget(why);
    },
    refreshMe,
    setLanguage(lang) {
      void i18n.changeLanguage(lang);
      if (me) localStorage.setItem(langKey(me.username), lang);
    },
  };
  if (loading) return <p className="loading" aria-busy="true" />;
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}
