/** `GET /ui/session` when signed in to the web console: who, and the token its calls send back. */
export interface ConsoleSessionInfo {
  subject: string;
  groups: string[];
  /** Sent in X-CSRF-Token with every call the page makes: a page of another site cannot read it. */
  csrfToken: string;
  /** Where this installation serves endpoints (absent: the console's own address). */
  endpointsUrl?: string;
}

/** How one may sign in to the console (`signIn` of the 401 `GET /ui/session` answers signed out). */
export interface ConsoleSignInOptions {
  /** Through the OpenID provider of the login broker. */
  oidc: boolean;
  /** With the one-time link solo prints at start. */
  link: boolean;
}
