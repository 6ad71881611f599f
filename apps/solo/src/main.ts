import { GatewayServer } from '@dispatch/api-gateway';
import { runMain, startHttpServer } from '@dispatch/platform';
import { SoloModule } from './app.module.js';
import { SOLO_USAGE, soloConfig } from './env.js';
import { setUpLocalAdmin } from './local-admin.js';

runMain('solo', async () => {
  const config = soloConfig(process.argv.slice(2), process.env);
  if (config === 'help') {
    console.log(SOLO_USAGE);
    return;
  }
  const app = await startHttpServer({
    module: SoloModule.forRoot(config),
    host: config.host,
    port: config.port,
  });
  // The bound port, which differs from the configured one when that was 0 (any free port).
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  console.log(`Dispatch is listening on http://${config.host}:${port} (data in ${config.dataDir})`);
  const { urls } = app.get(GatewayServer);
  console.log(`Endpoints are served on ${urls.http} and ${urls.https}`);
  const admin = await setUpLocalAdmin(app, config, port);
  if (admin.keyFile)
    console.log(
      `${admin.created ? 'Created the local administrator' : 'The local administrator'}: key ${admin.keyFile}, ` +
        `CLI context "solo" in ${config.cliConfig}`,
    );
});
