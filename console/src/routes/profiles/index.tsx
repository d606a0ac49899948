import type { Schemas } from '../../api/client';
import { ListScreen } from '../../ui/list';

export function Profiles() {
  return (
    <ListScreen<Schemas['DeviceProfile']>
      title="profiles.title" path="/api/v1/device-profiles" rowKey={(x) => String(x.id)}
      columns={[
        { key: 'name', label: 'fields.name', cell: (x) => x.name },
        { key: 'protocol', label: 'profiles.protocol', cell: (x) => x.protocol },
        { key: 'version', label: 'profiles.version', cell: (x) => x.version },
        { key: 'builtin', label: 'profiles.builtin', cell: (x) => String(x.builtin) },
      ]}
    />
  );
}
