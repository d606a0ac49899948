/** The shell: sign-in and forced password change first, then the navigation, the project and the screen of the route. */
import { useEffect, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from './api/client';
import { LANGUAGES } from './i18n';
import { Link, navigate, useRoute } from './router';
import { useSession } from './session';
import { TimeZoneContext } from './ui/format';
import { useLoad } from './ui/kit';
import { SignIn } from './routes/sign-in';
import { ChangePassword } from './routes/password';
import { Projects } from './routes/projects';
import { Dashboard } from './routes/dashboard';
import { Devices } from './routes/devices';
import { DeviceCard } from './routes/device';
import { Approvals } from './routes/approvals';
import { Groups } from './routes/groups';
import { Channels } from './routes/channels';
import { Protocols } from './routes/protocols';
import { SecurityKeys } from './routes/security-keys';
import { AmrAgents } from './routes/amr-agents';
import { Tasks } from './routes/tasks';
import { Launch } from './routes/launch';
import { OtherTasks } from './routes/other-tasks';
import { ProjectSettings } from './routes/settings';
import { Profiles } from './routes/profiles';
import { Users } from './routes/users';
import { Roles } from './routes/roles';
import { Events } from './routes/events';
import { ServiceLogs } from './routes/service-logs';
import { Cenc } from './routes/cenc';
import { Health } from './routes/health';
import { Sessions } from './routes/sessions';
import { Tokens } from './routes/tokens';
import { EmailSettings } from './routes/email-settings';

const PROJECT_SCREENS: [string, string][] = [
  ['dashboard', 'nav.dashboard'],
  ['devices', 'nav.devices'],
  ['groups', 'nav.groups'],
  ['channels', 'nav.channels'],
  ['protocols', 'nav.protocols'],
  ['security-keys', 'nav.securityKeys'],
  ['amr-agents', 'nav.amrAgents'],
  ['tasks', 'nav.tasks'],
  ['other-tasks', 'nav.otherTasks'],
  ['approvals', 'nav.approvals'],
  ['settings', 'nav.settings'],
];
const SYSTEM_SCREENS: [string, string][] = [
  ['projects', 'nav.projects'],
  ['profiles', 'nav.profiles'],
  ['cenc', 'nav.cenc'],
  ['users', 'nav.users'],
  ['roles', 'nav.roles'],
  ['tokens', 'nav.tokens'],
  ['email-settings', 'nav.email'],
  ['events', 'nav.events'],
  ['service-logs', 'nav.serviceLogs'],
  ['health', 'nav.health'],
  ['sessions', 'nav.sessions'],
];

function projectScreen(projectId: string, parts: string[]): ReactNode {
  const [screen, id] = parts;
  switch (screen) {
    case 'devices':
      return id ? <DeviceCard projectId={projectId} deviceId={id} /> : <Devices projectId={projectId} />;
    case 'groups':
      return <Groups projectId={projectId} />;
    case 'channels':
      return <Channels projectId={projectId} />;
    case 'protocols':
      return <Protocols projectId={projectId} />;
    case 'security-keys':
      return <SecurityKeys projectId={projectId} />;
    case 'amr-agents':
      return <AmrAgents projectId={projectId} />;
    case 'tasks':
      return <Tasks projectId={projectId} />;
    case 'launches':
      return <Launch projectId={projectId} launchId={id!} />;
    case 'other-tasks':
      return <OtherTasks projectId={projectId} />;
    case 'approvals':
      return <Approvals projectId={projectId} />;
    case 'settings':
      return <ProjectSettings projectId={projectId} />;
    default:
      return <Dashboard projectId={projectId} />;
  }
}

function systemScreen(screen: string | undefined): ReactNode {
  switch (screen) {
    case 'profiles':
      return <Profiles />;
    case 'cenc':
      return <Cenc />;
    case 'users':
      return <Users />;
    case 'roles':
      return <Roles />;
    case 'events':
      return <Events />;
    case 'service-logs':
      return <ServiceLogs />;
    case 'health':
      return <Health />;
    case 'sessions':
      return <Sessions />;
    case 'tokens':
      return <Tokens />;
    case 'email-settings':
      return <EmailSettings />;
    default:
      return <Projects />;
  }
}

export function App() {
  const { t, i18n } = useTranslation();
  const session = useSession();
  const { parts } = useRoute();
  const projectId = parts[0] === 'p' ? parts[1] : undefined;
  const project = useLoad(() => (projectId ? api.get('/api/v1/projects/{projectId}', { path: { projectId } }) : Promise.resolve(undefined)), [projectId, session.me?.id]);

  useEffect(() => {
    document.title = t('app.title');
  }, [t, i18n.language]);

  if (!session.me) return <SignIn />;
  if (session.me.mustChangePassword) return <ChangePassword forced />;

  const me = session.me;
  const projectName = project.data?.name;
  return (
    <TimeZoneContext.Provider value={project.data?.timeZone}>
      <a className="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        {t('app.skip')}
      </a>
      <header className="top">
        <span className="brand">{t('app.title')}</span>
        <label htmlFor="project-select">{t('app.project')}</label>
        <select id="project-select" value={projectId ?? ''} onChange={(e) => navigate(e.target.value ? `/p/${e.target.value}/dashboard` : '/projects')}>
            <option value="">{t('app.chooseProject')}</option>
            {me.projects.map((p) => (
              <option key={p.id} value={p.id} translate="no">
                {p.name}
              </option>
            ))}
        </select>
        <label htmlFor="language-select">{t('app.language')}</label>
        <select id="language-select" value={i18n.language} onChange={(e) => session.setLanguage(e.target.value)}>
          {LANGUAGES.map((l) => (
            <option key={l} value={l}>
              {t(`languages.${l}`)}
            </option>
          ))}
        </select>
        <span className="user" translate="no">
          {me.displayName || me.username}
        </span>
        <button type="button" onClick={() => void session.signOut()}>
          {t('app.signOut')}
        </button>
      </header>
      <div className="body">
        <nav className="side" aria-label={t('nav.label')}>
          {projectId ? (
            <>
              <h2 translate="no">{projectName ?? ''}</h2>
              <ul>
                {PROJECT_SCREENS.map(([path, label]) => (
                  <li key={path}>
                    <Link to={`/p/${projectId}/${path}`}>{t(label)}</Link>
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          <h2>{t('nav.system')}</h2>
          <ul>
            {SYSTEM_SCREENS.map(([path, label]) => (
              <li key={path}>
                <Link to={`/${path}`}>{t(label)}</Link>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" tabIndex={-1}>
          {projectId ? projectScreen(projectId, parts.slice(2)) : systemScreen(parts[0])}
        </main>
      </div>
    </TimeZoneContext.Provider>
  );
}
