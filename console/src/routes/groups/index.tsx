import type { Schemas } from '../../api/client';
import { ListScreen } from '../../ui/list';

export function Groups({ projectId }: { projectId: string }) {
  return (
    <ListScreen<Schemas['Group']>
      title="groups.title" path="/api/v1/projects/{projectId}/groups" params={{ projectId }} rowKey={(x) => String(x.id)}
      columns={[
        { key: 'name', label: 'fields.name', cell: (x) => x.name },
        { key: 'description', label: 'fields.description', cell: (x) => x.description },
      ]}
    />
  );
}
