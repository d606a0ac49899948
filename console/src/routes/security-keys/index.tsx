import type { Schemas } from '../../api/client';
import { ListScreen } from '../../ui/list';

export function SecurityKeys({ projectId }: { projectId: string }) {
  return (
    <ListScreen<Schemas['SecurityKey']>
      title="securityKeys.title" path="/api/v1/projects/{projectId}/security-keys" params={{ projectId }} rowKey={(x) => String(x.id)}
      columns={[
        { key: 'kind', label: 'fields.kind', cell: (x) => x.kind },
        { key: 'device', label: 'device.id', cell: (x) => x.deviceId },
      ]}
    />
  );
}
