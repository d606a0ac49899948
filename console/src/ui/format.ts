/** Dates and numbers in the user's language and the project's time zone. */
import { createContext, useContext } from 'react';
import { useTranslation } from 'react-i18next';

export const TimeZoneContext = createContext<string | undefined>(undefined);

export function useFormat() {
  const { i18n } = useTranslation();
  const timeZone = useContext(TimeZoneContext);
  const locale = i18n.language === 'ru' ? 'ru-RU' : 'en-GB';
  const dt = new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'medium', ...(timeZone ? { timeZone } : {}) });
  const num = new Intl.NumberFormat(locale, { maximumFractionDigits: 3 });
  return {
    locale,
    timeZone,
    dateTime: (iso: string | null | undefined) => (iso ? dt.format(new Date(iso)) : '—'),
    number: (n: number | null | undefined) => (n === null || n === undefined ? '—' : num.format(n)),
  };
}
