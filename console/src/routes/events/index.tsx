/** General and security events (seed 003 tables 4 and 5). */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Schemas } from '../../api/client';
import { useFormat } from '../../ui/format';
import { ListScreen } from '../../ui/list';

export function Events() {
  const { t } = useTranslation();
  const f = useFormat();
  const [kind, setKind] = useState<'general' | 'security'>('general');
  return (
    <ListScreen<Schemas['Event']>
      title={kind === 'general' ? 'events.title' : 'events.securityTitle'}
      path={kind === 'general' ? '/api/v1/events/general' : '/api/v1/events/security'}
      rowKey={(x) => String(x.id)}
      filters={[{ key: 'code', label: 'events.code' }, { key: 'from', label: 'data.from', kind: 'time' }, { key: 'to', label: 'data.to', kind: 'time' }]}
      actions={
        <div role="group" aria-label={t('events.kind')} className="row">
          <button type="button" aria-pressed={kind === 'general'} onClick={() => setKind('general')}>
            {t('events.title')}
          </button>
          <button type="button" aria-pressed={kind === 'security'} onClick={() => setKind('security')}>
            {t('events.securityTitle')}
          </button>
        </div>
      }
      columns={[
        { key: 'at', label: 'events.at', cell: (x) => f.dateTime(x.at) },
        { key: 'code', label: 'events.code', cell: (x) => x.code },
        { key: 'level', label: 'events.level', cell: (x) => x.level },
        { key: 'user', label: 'commands.user', cell: (x) => x.username },
        { key: 'ip', label: 'sessions.ip', cell: (x) => x.ip },
      ]}
    />
  );
}
