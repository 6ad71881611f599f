#!/usr/bin/env node
// nginx as the ingress of the distributed shape when its services run as processes (DESIGN.md): one
// port, each `/v1/<resource>` proxied to the service that owns it. Debian's nginx, installed when
// missing. `node tools/nginx.js config` prints the configuration for the services' default ports;
// `prepare DIR PORT SERVICES_JSON` writes one for services elsewhere and prints how to start nginx on it;
// `routes` prints which service owns which paths.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SERVICES, SOLO_PORT, TOPOLOGY } from '@dispatch/contracts';
import { aptInstall } from './lib/daemon.js';
import { selfSigned } from './lib/tls.js';

/** Which service serves which API paths: the topology table's routes (libs/contracts, built). */
export const ROUTES = Object.fromEntries(SERVICES.map((service) => [service, [...TOPOLOGY[service].routes]]));
/** The paths a service is sent only as they are (the table's exactRoutes), nothing under them. */
export const EXACT_ROUTES = Object.fromEntries(
  SERVICES.map((service) => [service, [...(TOPOLOGY[service].exactRoutes ?? [])]]),
);

/** The services' own ports when run with their defaults: the topology table's. */
export const DEFAULT_PORTS = Object.fromEntries(SERVICES.map((service) => [service, TOPOLOGY[service].port]));

export function ensureInstalled() {
  aptInstall('nginx', ['nginx']);
}

/**
 * An nginx configuration serving `port` on loopback, proxying each service's paths to `services`
 * (service name to base URL, or to the URLs of its replicas, which share its calls round-robin;
 * services not given are left out), with its temporary files under `dir`. Every other path goes to
 * `endpoints` (the gateway's port serving endpoints) when given, as the chart's Ingress does. With
 * `tlsPort`, the same on HTTPS there too, with the certificate DIR/tls.crt and key DIR/tls.key: TLS
 * ends here, as at an Ingress, and X-Forwarded-Proto tells the services which it was. Without
 * `keepalive`, every call opens its own connection: in front of Kubernetes Services, whose addresses
 * stand for pods that come and go, a kept connection may lead to a pod that is gone, and a POST sent on
 * it fails with 502 rather than reaching a live one.
 */
export function ingressConfig({ port, dir, services, endpoints, tlsPort, keepalive = true }) {
  const present = Object.keys(ROUTES).filter((service) => services[service]);
  const replicas = (service) => [services[service]].flat();
  const upstreams = present.map(
    (service) => `  upstream ${upstreamOf(service)} {
${replicas(service)
  .map((url) => `    server ${new URL(url).host};`)
  .join('\n')}
${keepalive ? '    keepalive 64;\n    keepalive_requests 100000;\n' : ''}  }`,
  );
  // The gateway's endpoints too: one connection kept per concurrent call, not one opened per call.
  if (endpoints)
    upstreams.push(`  upstream dispatch_endpoints {
    server ${new URL(endpoints).host};
${keepalive ? '    keepalive 64;\n    keepalive_requests 100000;\n' : ''}  }`);
  // A route matches whole path segments, as the table and an Ingress's Prefix do: `/v1/image` and
  // `/v1/image/...`, never `/v1/images`.
  const locations = present.flatMap((service) =>
    [
      ...ROUTES[service].flatMap((path) => [`= ${path}`, `${path}/`]),
      ...EXACT_ROUTES[service].map((path) => `= ${path}`),
    ].map(
      (match) => `    location ${match} {
      proxy_pass http://${upstreamOf(service)};
    }`,
    ),
  );
  return `# Written by tools/nginx.js: the ingress of Dispatch's services.
daemon off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log stderr warn;
${process.getuid?.() === 0 ? 'user root root;' : ''}
events {
  worker_connections 1024;
}
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  # As large as the API's own limit on a function's source.
  client_max_body_size 64m;
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_set_header Host $http_host;
  proxy_set_header X-Forwarded-Proto $scheme;
  proxy_read_timeout 300s;
  # Calls and answers pass through as they come: nothing is held back to be written to disk first.
  proxy_buffering off;
  proxy_request_buffering off;
  keepalive_requests 100000;
${upstreams.join('\n')}
  server {
    listen 127.0.0.1:${port};
${
  tlsPort
    ? `    listen 127.0.0.1:${tlsPort} ssl;
    ssl_certificate ${join(dir, 'tls.crt')};
    ssl_certificate_key ${join(dir, 'tls.key')};
`
    : ''
}${locations.join('\n')}
${
  endpoints
    ? `    location / {
      proxy_pass http://dispatch_endpoints;
    }`
    : `    location / {
      default_type application/json;
      return 404 '{"code":404,"errorCode":"NOT_FOUND","message":"no Dispatch service serves this path"}';
    }`
}
  }
}
`;
}

const upstreamOf = (service) => `dispatch_${service.replace(/-/g, '_')}`;

/**
 * Writes the configuration into `dir` and gives the nginx command line that serves it; with `tlsPort`,
 * a self-signed certificate for 127.0.0.1 and localhost too (made with Debian's openssl).
 */
export function prepare(options) {
  ensureInstalled();
  mkdirSync(options.dir, { recursive: true });
  if (options.tlsPort && !existsSync(join(options.dir, 'tls.crt'))) {
    aptInstall('openssl', ['openssl']);
    selfSigned({
      keyFile: join(options.dir, 'tls.key'),
      certFile: join(options.dir, 'tls.crt'),
      subject: '/CN=localhost',
      altNames: 'DNS:localhost,IP:127.0.0.1',
    });
  }
  const file = join(options.dir, 'nginx.conf');
  writeFileSync(file, ingressConfig(options));
  return { command: 'nginx', args: ['-p', options.dir, '-c', file] };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
  const [verb, dir, port, services, endpoints, tlsPort] = process.argv
    .slice(2)
    .filter((a) => !a.startsWith('--'));
  if (verb === 'config') {
    const defaults = Object.fromEntries(
      Object.entries(DEFAULT_PORTS).map(([service, p]) => [service, `http://127.0.0.1:${p}`]),
    );
    process.stdout.write(
      ingressConfig({ port: SOLO_PORT, dir: '/tmp/dispatch-ingress', services: defaults }),
    );
  } else if (verb === 'routes') {
    // Which service owns which paths, as JSON: the Helm chart's test checks its Ingress against it.
    console.log(JSON.stringify({ prefix: ROUTES, exact: EXACT_ROUTES }));
  } else if (verb === 'prepare' && dir && port && services) {
    // For tests and scripts: writes DIR/nginx.conf and prints the command line, as JSON.
    console.log(
      JSON.stringify(
        prepare({
          dir,
          port: Number(port),
          services: JSON.parse(services),
          endpoints: endpoints || undefined,
          tlsPort: tlsPort ? Number(tlsPort) : undefined,
          keepalive: !flags.includes('--no-keepalive'),
        }),
      ),
    );
  } else {
    console.error(
      'usage: node tools/nginx.js config | routes | prepare [--no-keepalive] DIR PORT SERVICES_JSON [ENDPOINTS_URL [TLS_PORT]]',
    );
    process.exit(2);
  }
}
