import {
  AppShell,
  Autocomplete,
  Button,
  Center,
  Group,
  NavLink,
  ScrollArea,
  Text,
  Title,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { Loading } from './components/loading.js';
import { ErrorNote } from './components/error-note.js';
import { FunctionPage } from './pages/function-page.js';
import { FunctionsPage } from './pages/functions-page.js';
import { EndpointsPage } from './pages/endpoints-page.js';
import { RESOURCE_PAGES } from './pages/resource-pages.js';
import { ResourcePage } from './pages/resource-page.js';
import { RunsPage } from './pages/runs-page.js';
import { SecretsPage } from './pages/secrets-page.js';
import { SignInPage } from './pages/sign-in-page.js';
import { useSessionQuery, useWorkspace, WorkspaceProvider } from './session.js';

/** The navigation, in the order a developer meets things: code, its runs, how it is reached. */
const NAV: { path: string; label: string }[] = [
  { path: '/functions', label: 'Functions' },
  { path: '/runs', label: 'Runs' },
  { path: '/endpoints', label: 'Endpoints' },
  { path: '/secrets', label: 'Secrets' },
  ...RESOURCE_PAGES.map(({ path, title }) => ({ path, label: title })),
];

export function App() {
  const session = useSessionQuery();
  if (session.isPending)
    return (
      <Center h="100vh">
        <Loading label="Loading" />
      </Center>
    );
  if (session.isError) return <ErrorNote error={session.error} />;
  if (!session.data.signedIn) return <SignInPage options={session.data.signIn} />;
  return (
    <WorkspaceProvider session={session.data.session}>
      <Shell />
    </WorkspaceProvider>
  );
}

function Shell() {
  const [location] = useLocation();
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: 'xs' }} padding="md">
      <AppShell.Header>
        <TopBar />
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Resources">
        <ScrollArea>
          {NAV.map(({ path, label }) => (
            <NavLink
              key={path}
              component={Link}
              href={path}
              label={label}
              variant="filled"
              active={location === path || location.startsWith(`${path}/`)}
              aria-current={location === path ? 'page' : undefined}
            />
          ))}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main>
        <Switch>
          <Route path="/">
            <Redirect to="/functions" />
          </Route>
          <Route path="/functions" component={FunctionsPage} />
          <Route path="/functions/:name">{(params) => <FunctionPage name={params.name} />}</Route>
          <Route path="/runs" component={RunsPage} />
          <Route path="/endpoints" component={EndpointsPage} />
          <Route path="/secrets" component={SecretsPage} />
          {RESOURCE_PAGES.map((page) => (
            <Route key={page.path} path={page.path}>
              <ResourcePage page={page} />
            </Route>
          ))}
          <Route>
            <Title order={1}>Not found</Title>
            <Text>The console has no page at this address.</Text>
          </Route>
        </Switch>
      </AppShell.Main>
    </AppShell>
  );
}

/** The org and project every page works in, who is signed in, and signing out. */
function TopBar() {
  const { session, org, project, setOrg, setProject, client } = useWorkspace();
  const queries = useQueryClient();
  const orgs = useQuery({
    queryKey: ['organizations', 'names'],
    queryFn: async () => (await client.organizations.list()).map((o) => o.name),
  });
  const signOut = async () => {
    await fetch('/ui/logout', { method: 'POST', headers: { 'x-csrf-token': session.csrfToken } });
    queries.clear();
    location.assign('/ui/');
  };
  return (
    <Group h="100%" px="md" justify="space-between" wrap="nowrap">
      <Group wrap="nowrap">
        <Title order={2} size="h4">
          Dispatch
        </Title>
        <Autocomplete
          aria-label="Organization"
          placeholder="organization"
          size="xs"
          data={orgs.data ?? []}
          defaultValue={org}
          onBlur={(e) => e.currentTarget.value && setOrg(e.currentTarget.value)}
          onOptionSubmit={setOrg}
        />
        <Autocomplete
          aria-label="Project"
          placeholder="project"
          size="xs"
          data={['default']}
          defaultValue={project}
          onBlur={(e) => e.currentTarget.value && setProject(e.currentTarget.value)}
          onOptionSubmit={setProject}
        />
      </Group>
      <Group wrap="nowrap">
        <Text size="sm" aria-label="Signed in as">
          {session.subject}
        </Text>
        <Button variant="default" size="xs" onClick={() => void signOut()}>
          Sign out
        </Button>
      </Group>
    </Group>
  );
}
