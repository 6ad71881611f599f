// The cost of authorisation on each API call: the guard every service runs, deciding a warm exec (a
// token seen before, so remembered) and a first call (its signature verified), among 200 policies of
// 20 orgs and 20 global ones. Run in-process on the embedded store, so only the guard is timed.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessControl, AccessGuard } from '@dispatch/auth';
import { EmbeddedEntityStore } from '@dispatch/entity-store';
import { Reflector } from '@nestjs/core';
import { SignJWT } from 'jose';
import { summarise, now } from './stats.js';

const ORGS = 20;

export async function benchAuthz() {
  const dataDir = mkdtempSync(join(tmpdir(), 'dispatch-bench-authz-'));
  const store = await EmbeddedEntityStore.open({ dataDir });
  const access = new AccessControl(store, {});
  try {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    for (let o = 0; o < ORGS; o += 1) {
      const org = `org-${o}`;
      await store.create({
        org,
        project: 'iam',
        kind: 'serviceaccount',
        name: 'ci',
        status: 'READY',
        spec: { publicKey: pem },
      });
      for (let p = 0; p < 10; p += 1)
        await store.create({
          org,
          project: 'iam',
          kind: 'policy',
          name: `p-${p}`,
          status: 'READY',
          spec: {
            global: false,
            // The allowing rule comes last in the org's last policy: the engine reads them all.
            rules: [
              {
                subjects: [p === 9 ? `${org}/ci` : `someone-${p}`],
                resources: ['function'],
                actions: p === 9 ? ['exec', 'get'] : ['get'],
              },
            ],
          },
        });
    }
    for (let g = 0; g < 20; g += 1)
      await store.create({
        org: 'org-0',
        project: 'iam',
        kind: 'policy',
        name: `global-${g}`,
        status: 'READY',
        spec: { global: true, rules: [{ subjects: [`auditor-${g}`], resources: ['*'], actions: ['get'] }] },
      });
    access.onModuleInit();
    // The guard as Nest calls it on POST /v1/runs: the route's metadata, the request's headers.
    const guard = new AccessGuard(new Reflector(), access);
    class RunController {
      run() {}
    }
    Reflect.defineMetadata('dispatch:resource', 'function', RunController);
    Reflect.defineMetadata('dispatch:action', 'exec', RunController.prototype.run);
    const context = (authorization) => ({
      getHandler: () => RunController.prototype.run,
      getClass: () => RunController,
      switchToHttp: () => ({
        getRequest: () => ({
          method: 'POST',
          headers: { authorization, 'x-dispatch-org': 'org-7', 'x-dispatch-project': 'default' },
        }),
      }),
    });
    const token = () =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'RS256' })
        .setIssuer('org-7/ci')
        .setIssuedAt()
        .setExpirationTime('30m')
        .sign(privateKey);

    // First calls: a new token each time, so each is verified (RS256) before it is decided.
    const firstSamples = [];
    for (let i = 0; i < 300; i += 1) {
      const authorization = `Bearer ${await token()}`;
      const t = now();
      await guard.canActivate(context(authorization));
      firstSamples.push(now() - t);
    }
    // Warm calls: one token, as a client reusing its credential (and the CLI within one command) sends.
    const warm = context(`Bearer ${await token()}`);
    await guard.canActivate(warm);
    const warmSamples = [];
    for (let i = 0; i < 100_000; i += 1) {
      const t = now();
      const allowed = guard.canActivate(warm);
      if (allowed !== true) await allowed;
      warmSamples.push(now() - t);
    }
    return {
      policies: ORGS * 10 + 20,
      warm_exec: summarise(warmSamples),
      first_call_of_a_token: summarise(firstSamples),
    };
  } finally {
    await access.onModuleDestroy();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
