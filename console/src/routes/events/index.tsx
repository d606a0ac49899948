import type { Schemas } from '../../api/client';
import { ListScreen } from '../../ui/list';
import { useFormat } from '../../ui/format';
export function Events() {
  const f = useFormat();
  return (
    <ListScreen<Schemas['Event']>
      title="events.title" path="/api/v1/events/general" rowKey={(x) => String(x.id)}
      columns={[
        { key: 'at', label: 'events.at', cell: (x) => f.dateTime(x.at) },
        { key: 'code', label: 'events.code', cell: (x) => x.code },
        { key: 'level', label: 'events.level', cell: (x) => x.level },
        { key: 'user', label: 'commands.user', cell: (x) => x.username },
        { key: 'ip', label: 'sessions.ip', cell: (x) => x.ip },
      ]}
    />
  );
}
