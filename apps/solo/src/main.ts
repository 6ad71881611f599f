import { GatewayServer } from '@dispatch/api-gateway';
import { SignInLinks } from '@dispatch/console';
import { runMain, startHttpServer } from '@dispatch/platform';
import { soloAddress } from './address.js';
import { SoloModule } from './app.module.js';
import { SOLO_USAGE, soloConfig } from './env.js';
import { createLocalAdmin, saveLocalContext } from './local-admin.js';

runMain('solo', async () => {
  const config = soloConfig(process.argv.slice(2), process.env);
  if (config === 'help') {
    console.log(SOLO_USAGE);
    return;
  }
  let created = false;
  const app = await startHttpServer({
    module: SoloModule.forRoot(config),
    name: 'solo',
    // Bootstrapped before the first call: once solo answers, its administrator exists.
    beforeListen: async (app) => {
      created = await createLocalAdmin(app, config);
    },
    host: config.host,
    port: config.port,
  });
  // The bound port, which differs from the configured one when that was 0 (any free port).
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const reachableHost = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  soloAddress.url = `http://${reachableHost.includes(':') ? `[${reachableHost}]` : reachableHost}:${port}`;
  console.log(`Dispatch is listening on http://${config.host}:${port} (data in ${config.dataDir})`);
  const { urls } = app.get(GatewayServer);
  soloAddress.endpointsUrl = urls.http ?? '';
  console.log(`Endpoints are served on ${urls.http} and ${urls.https}`);
  const keyFile = saveLocalContext(config, port);
  if (keyFile)
    console.log(
      `${created ? 'Created the local administrator' : 'The local administrator'}: key ${keyFile}, ` +
        `CLI context "solo" in ${config.cliConfig}`,
    );
  // As notebook servers do: the person at this terminal opens the console signed in, once.
  if (keyFile)
    console.log(
      `Console: ${soloAddress.url}/ui/login/link?token=${app.get(SignInLinks).mint()} (signs you in once)`,
    );
});
