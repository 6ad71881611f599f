import { Alert, Button, Card, Center, Code, Stack, Text, Title } from '@mantine/core';
import type { SignInOptions } from '../session.js';

/** Why the last sign-in did not work, by the code the console's server sent back with. */
const PROBLEMS: Record<string, { title: string; text: string }> = {
  link: {
    title: 'That link no longer signs in',
    text: 'A sign-in link works once, for a day. Start Dispatch again for a new one.',
  },
  expired: {
    title: 'The sign-in took too long',
    text: 'It was not started in this browser, or over 10 minutes ago. Sign in again.',
  },
  refused: {
    title: 'The sign-in was refused',
    text: 'The OpenID provider or Dispatch refused it. Sign in again, or ask an administrator.',
  },
};

/** Signed out: sign in with the OpenID provider, or (solo) with the link `npm start` printed. */
export function SignInPage({ options }: { options: SignInOptions }) {
  const code = new URLSearchParams(location.search).get('signIn') ?? '';
  const problem = Object.hasOwn(PROBLEMS, code) ? PROBLEMS[code] : undefined;
  return (
    <Center h="100vh" component="main">
      <Card withBorder w={420} p="xl">
        <Stack>
          <Title order={1} size="h2">
            Dispatch console
          </Title>
          {problem && (
            <Alert color="red.9" role="alert" title={problem.title}>
              {problem.text}
            </Alert>
          )}
          {options.oidc && (
            <Button component="a" href="/ui/login/oidc">
              Sign in
            </Button>
          )}
          {options.link && (
            <Text size="sm">
              On this machine, open the one-time link that <Code>npm start</Code> printed (a new start prints
              a new one).
            </Text>
          )}
          {!options.oidc && !options.link && (
            <Text size="sm">
              This Dispatch has no OpenID provider configured, so its console cannot sign anyone in. Use the{' '}
              <Code>dispatch</Code> CLI with a service account.
            </Text>
          )}
        </Stack>
      </Card>
    </Center>
  );
}
