/** The device card: information, comm lines, data (table and chart), events, states, commands, exchange log. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { Link } from '../../router';
import { useFormat } from '../../ui/format';
import { ErrorText, Page, useLoad } from '../../ui/kit';
import { Data } from './data';
import { Events, States, CommLines } from './lists';
import { Commands } from './commands';

const TABS = ['info', 'commLines', 'data', 'events', 'states', 'commands'] as const;
type Tab = (typeof TABS)[number];

export function DeviceCard({ projectId, deviceId }: { projectId: string; deviceId: string }) {
  const { t } = useTranslation();
  const f = useFormat();
  const [tab, setTab] = useState<Tab>('data');
  const device = useLoad(() => api.get('/api/v1/projects/{projectId}/devices/{deviceId}', { path: { projectId, deviceId } }), [projectId, deviceId]);
  const d = device.data;
  const ids = { projectId, deviceId };
  return (
    <Page title={t('device.title', { serial: d?.serialNumber ?? '' })}>
      <p>
        <Link to={`/p/${projectId}/devices`}>{t('device.back')}</Link>
      </p>
      <ErrorText error={device.error} />
      <div role="tablist" aria-label={t('device.sections')} className="tabs">
        {TABS.map((name) => (
          <button
            key={name} type="button" role="tab" id={`tab-${name}`} aria-selected={tab === name} aria-controls={`panel-${name}`} tabIndex={tab === name ? 0 : -1}
            onClick={() => setTab(name)}
            onKeyDown={(e) => {
              const i = TABS.indexOf(tab);
              const next = e.key === 'ArrowRight' ? TABS[(i + 1) % TABS.length] : e.key === 'ArrowLeft' ? TABS[(i + TABS.length - 1) % TABS.length] : undefined;
              if (next) {
                setTab(next);
                document.getElementById(`tab-${next}`)?.focus();
              }
            }}
          >
            {t(`device.tab.${name}`)}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="panel">
        {tab === 'info' && d ? (
          <dl className="info">
            <dt>{t('device.serialNumber')}</dt>
            <dd translate="no">{d.serialNumber}</dd>
            <dt>{t('device.type')}</dt>
            <dd translate="no">{d.type}</dd>
            <dt>{t('device.statusLabel')}</dt>
            <dd>{t(`device.status.${d.status}`)}</dd>
            <dt>{t('device.sourceLabel')}</dt>
            <dd>{t(`device.source.${d.source}`)}</dd>
            <dt>{t('device.enabled')}</dt>
            <dd>{d.enabled ? t('common.yes') : t('common.no')}</dd>
            <dt>{t('device.addedAt')}</dt>
            <dd translate="no">{f.dateTime(d.addedAt)}</dd>
            <dt>{t('device.lastGaspAt')}</dt>
            <dd translate="no">{f.dateTime(d.lastGaspAt)}</dd>
          </dl>
        ) : null}
        {tab === 'commLines' ? <CommLines {...ids} /> : null}
        {tab === 'data' ? <Data {...ids} /> : null}
        {tab === 'events' ? <Events {...ids} /> : null}
        {tab === 'states' ? <States {...ids} /> : null}
        {tab === 'commands' ? <Commands {...ids} /> : null}
      </div>
    </Page>
  );
}
