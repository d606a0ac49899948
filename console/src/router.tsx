/** Hash routes (#/p/<project>/devices/<id>): the HES serves one index.html, and links work without a server rewrite. */
import { useEffect, useState, type ReactNode } from 'react';

export function currentPath(): string {
  return decodeURI(location.hash.replace(/^#/, '')) || '/';
}

export function navigate(path: string): void {
  location.hash = path;
}

export function useRoute(): { path: string; parts: string[]; query: URLSearchParams } {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const changed = () => setPath(currentPath());
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  const [pathname, search = ''] = path.split('?');
  return { path, parts: pathname!.split('/').filter(Boolean), query: new URLSearchParams(search) };
}

export function Link({ to, children, className }: { to: string; children: ReactNode; className?: string }) {
  const active = currentPath().startsWith(to);
  return (
    <a href={'#' + to} className={className} aria-current={active ? 'page' : undefined}>
      {children}
    </a>
  );
}
