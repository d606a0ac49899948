import type { Schemas } from '../../api/client';
import { ListScreen } from '../../ui/list';

export function AmrAgents({ projectId }: { projectId: string }) {
  return (
    <ListScreen<Schemas['AmrAgent']>
      title="amrAgents.title" path="/api/v1/projects/{projectId}/amr-agents" params={{ projectId }} rowKey={(x) => String(x.id)}
      columns={[
        { key: 'name', label: 'fields.name', cell: (x) => x.name },
      ]}
    />
  );
}
