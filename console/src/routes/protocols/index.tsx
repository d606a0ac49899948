import type { Schemas } from '../../api/client';
import { ListScreen } from '../../ui/list';

export function Protocols({ projectId }: { projectId: string }) {
  return (
    <ListScreen<Schemas['Protocol']>
      title="protocols.title" path="/api/v1/projects/{projectId}/protocols" params={{ projectId }} rowKey={(x) => String(x.id)}
      columns={[
        { key: 'name', label: 'fields.name', cell: (x) => x.name },
        { key: 'kind', label: 'fields.kind', cell: (x) => x.kind },
      ]}
    />
  );
}
