import type { Schemas } from '../../api/client';
import { ListScreen } from '../../ui/list';

export function Users() {
  return (
    <ListScreen<Schemas['User']>
      title="users.title" path="/api/v1/users" rowKey={(x) => String(x.id)}
      columns={[
        { key: 'username', label: 'signIn.username', cell: (x) => x.username },
        { key: 'displayName', label: 'users.displayName', cell: (x) => x.displayName },
        { key: 'role', label: 'users.role', cell: (x) => x.roleId },
        { key: 'enabled', label: 'device.enabled', cell: (x) => String(x.enabled) },
        { key: 'm2m', label: 'users.m2m', cell: (x) => String(x.m2m) },
      ]}
    />
  );
}
