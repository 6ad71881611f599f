import { DispatchClient } from '@dispatch/api-client/browser';
import type { ConsoleSessionInfo, ConsoleSignInOptions } from '@dispatch/contracts';
import { useQuery } from '@tanstack/react-query';
import { createContext, useContext, useMemo, useState, type ReactNode } from 'react';

export type SessionInfo = ConsoleSessionInfo;
export type SignInOptions = ConsoleSignInOptions;

type SessionAnswer = { signedIn: true; session: SessionInfo } | { signedIn: false; signIn: SignInOptions };

/** Who is signed in, asked of the console's server: its cookie is HttpOnly, the page never sees it. */
export function useSessionQuery() {
  return useQuery({
    queryKey: ['session'],
    queryFn: async (): Promise<SessionAnswer> => {
      const res = await fetch('/ui/session', { headers: { accept: 'application/json' } });
      const body = (await res.json()) as SessionInfo & { signIn?: SignInOptions; message?: string };
      if (res.status === 401) return { signedIn: false, signIn: body.signIn ?? { oidc: false, link: false } };
      if (!res.ok) throw new Error(body.message ?? `the console answered ${res.status}`);
      return { signedIn: true, session: body };
    },
    staleTime: Infinity,
  });
}

export interface Workspace {
  session: SessionInfo;
  org: string;
  project: string;
  setOrg(org: string): void;
  setProject(project: string): void;
  /** The API in the chosen org and project, through the console's server with the session. */
  client: DispatchClient;
}

const WorkspaceContext = createContext<Workspace | undefined>(undefined);

const remembered = (key: string) => localStorage.getItem(`dispatch.${key}`) || 'default';

export function WorkspaceProvider({ session, children }: { session: SessionInfo; children: ReactNode }) {
  const [org, setOrgState] = useState(() => remembered('org'));
  const [project, setProjectState] = useState(() => remembered('project'));
  const value = useMemo<Workspace>(() => {
    const remember = (key: string, set: (v: string) => void) => (v: string) => {
      localStorage.setItem(`dispatch.${key}`, v);
      set(v);
    };
    return {
      session,
      org,
      project,
      setOrg: remember('org', setOrgState),
      setProject: remember('project', setProjectState),
      client: consoleClient(session, org, project),
    };
  }, [session, org, project]);
  return <WorkspaceContext.Provider value={value}>{children}</WorkspaceContext.Provider>;
}

export function consoleClient(session: SessionInfo, org: string, project: string): DispatchClient {
  return new DispatchClient({
    baseUrl: `${location.origin}/ui/api`,
    org,
    project,
    headers: { 'x-csrf-token': session.csrfToken },
  });
}

export function useWorkspace(): Workspace {
  const workspace = useContext(WorkspaceContext);
  if (!workspace) throw new Error('useWorkspace outside a WorkspaceProvider');
  return workspace;
}
