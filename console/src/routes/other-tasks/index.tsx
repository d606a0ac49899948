import type { Schemas } from '../../api/client';
import { ListScreen } from '../../ui/list';

export function OtherTasks({ projectId }: { projectId: string }) {
  return (
    <ListScreen<Schemas['Task']>
      title="otherTasks.title" path="/api/v1/projects/{projectId}/other-tasks" params={{ projectId }} rowKey={(x) => x.id}
      columns={[
        { key: 'name', label: 'fields.name', cell: (x) => x.name },
        { key: 'source', label: 'otherTasks.source', cell: (x) => x.source },
        { key: 'approval', label: 'otherTasks.approval', cell: (x) => x.approval },
        { key: 'result', label: 'tasks.lastLaunch', cell: (x) => x.lastLaunch?.result ?? '—' },
      ]}
    />
  );
}
