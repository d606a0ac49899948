import type { Schemas } from '../../api/client';
import { ListScreen } from '../../ui/list';

export function Channels({ projectId }: { projectId: string }) {
  return (
    <ListScreen<Schemas['Channel']>
      title="channels.title" path="/api/v1/projects/{projectId}/channels" params={{ projectId }} rowKey={(x) => String(x.id)}
      columns={[
        { key: 'name', label: 'fields.name', cell: (x) => x.name },
        { key: 'kind', label: 'fields.kind', cell: (x) => x.kind },
        { key: 'settings', label: 'fields.settings', cell: (x) => JSON.stringify(x.settings) },
      ]}
    />
  );
}
