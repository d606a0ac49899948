/** Add one device by hand: the API's refusal (a taken serial number, a bad value) shows at the field it names. */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type Schemas } from '../../api/client';
import { ErrorText, Field, fieldError } from '../../ui/kit';

type Body = { serialNumber: string; type: Schemas['Device']['type']; status: Schemas['Device']['status'] };

export function AddDevice({ projectId, types, statuses, onAdded }: { projectId: string; types: readonly Body['type'][]; statuses: readonly Body['status'][]; onAdded: () => void }) {
  const { t } = useTranslation();
  const [body, setBody] = useState<Body>({ serialNumber: '', type: 'CE308', status: 'IN_USE' });
  const [error, setError] = useState<unknown>();
  const [added, setAdded] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    setAdded('');
    try {
      const d = await api.post('/api/v1/projects/{projectId}/devices', { path: { projectId }, body });
      setAdded(d.serialNumber);
      setBody({ ...body, serialNumber: '' });
      onAdded();
    } catch (err) {
      setError(err);
    }
  };
  const serialError = fieldError(error, 'serialNumber');
  return (
    <form className="card" onSubmit={submit} aria-labelledby="add-device-title">
      <h2 id="add-device-title">{t('devices.add')}</h2>
      <div className="row">
        <Field id="add-serial" label={t('device.serialNumber')} error={serialError}>
          <input id="add-serial" value={body.serialNumber} onChange={(e) => setBody({ ...body, serialNumber: e.target.value })} required aria-invalid={serialError ? true : undefined} aria-describedby={serialError ? 'add-serial-error' : undefined} />
        </Field>
        <Field id="add-type" label={t('device.type')} error={fieldError(error, 'type')}>
          <select id="add-type" value={body.type} onChange={(e) => setBody({ ...body, type: e.target.value as Body['type'] })}>
            {types.map((v) => (
              <option key={v} value={v} translate="no">
                {v}
              </option>
            ))}
          </select>
        </Field>
        <Field id="add-status" label={t('device.statusLabel')} error={fieldError(error, 'status')}>
          <select id="add-status" value={body.status} onChange={(e) => setBody({ ...body, status: e.target.value as Body['status'] })}>
            {statuses.map((v) => (
              <option key={v} value={v}>
                {t(`device.status.${v}`)}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit" className="primary">
          {t('devices.addSubmit')}
        </button>
      </div>
      {serialError ? null : <ErrorText error={error} />}
      {added ? (
        <p role="status">
          {t('devices.added')} <span translate="no">{added}</span>
        </p>
      ) : null}
    </form>
  );
}
