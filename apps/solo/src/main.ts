import { runMain, startHttpServer } from '@dispatch/platform';
import { SoloModule } from './app.module.js';
import { SOLO_USAGE, soloConfig } from './env.js';

runMain('solo', async () => {
  const config = soloConfig(process.argv.slice(2), process.env);
  if (config === 'help') {
    console.log(SOLO_USAGE);
    return;
  }
  await startHttpServer({ module: SoloModule.forRoot(config), host: config.host, port: config.port });
  console.log(`Dispatch is listening on http://${config.host}:${config.port} (data in ${config.dataDir})`);
});
