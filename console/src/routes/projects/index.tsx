import { Link } from '../../router';
import type { Schemas } from '../../api/client';
import { ListScreen } from '../../ui/list';

export function Projects() {
  return (
    <ListScreen<Schemas['Project']>
      title="projects.title"
      path="/api/v1/projects"
      rowKey={(p) => p.id}
      columns={[
        { key: 'name', label: 'fields.name', cell: (p) => <Link to={`/p/${p.id}/dashboard`}>{p.name}</Link> },
        { key: 'description', label: 'fields.description', cell: (p) => p.description },
        { key: 'timeZone', label: 'projects.timeZone', cell: (p) => p.timeZone },
      ]}
    />
  );
}
