#!/usr/bin/env node
// Dispatch's container images, built for real with podman (Debian's): the six services and the three
// function runners, from deploy/*.Dockerfile. `node tools/images.js build [name...]` builds them (all
// by default) as localhost/dispatch-<name>:<version> (`--network`: and the podman network the local
// cluster's containers use); `list` shows them with their sizes.
//
// No registry is reachable where Dispatch is developed, so the Dockerfiles' usual public bases
// (node:20-bookworm-slim, python:3.11-slim, Maven on the Temurin JDK, debian:bookworm-slim) are
// replaced, through their build arguments, by bases made here: Debian bookworm from the mirror apt uses
// (debootstrap, cached as a tarball in ~/.cache/dispatch/images), with this machine's own node and npm,
// or with Debian's Python 3, JDK and Maven. A machine behind a TLS-inspecting proxy (NODE_EXTRA_CA_CERTS set) lends its CA bundle
// to the builds that download packages, mounted for the build only, never kept in an image.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureNetwork, ensurePodman, podman, podmanEnv } from './lib/containers.js';
import { aptInstall, BUILD_CACHE, log, ROOT } from './lib/daemon.js';

export const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const SUITE = 'bookworm';
const IMAGE_CACHE = join(BUILD_CACHE, 'images');
const CA_BUNDLE = process.env.NODE_EXTRA_CA_CERTS;
const CA_IN_BUILD = '/run/dispatch-build-ca.crt';
/** The same CAs as Java's trust store (Debian's ca-certificates-java makes it from the system's). */
const JAVA_CACERTS = '/etc/ssl/certs/java/cacerts';
const JAVA_CACERTS_IN_BUILD = '/run/dispatch-build-cacerts';

/**
 * The bases made here, each from the Debian one. `slim`: without documentation, manuals, translations
 * or apt's caches, as Debian's own `-slim` images (a change to how they are made needs a new tag).
 */
const BASES = {
  debian: `localhost/dispatch-debian:${SUITE}-slim`,
  node: `localhost/dispatch-node:${process.versions.node}-slim`,
  python: `localhost/dispatch-python:${SUITE}-slim`,
  maven: `localhost/dispatch-maven:17-${SUITE}-slim`,
};

/**
 * What Debian's slim images leave out, for the packages installed later too (dpkg's path filters),
 * and apt's downloads, gone after each install (the official images' docker-clean).
 */
const SLIM = {
  'etc/dpkg/dpkg.cfg.d/dispatch-slim': [
    'path-exclude /usr/share/doc/*',
    'path-include /usr/share/doc/*/copyright',
    'path-exclude /usr/share/man/*',
    'path-exclude /usr/share/info/*',
    'path-exclude /usr/share/locale/*',
    'path-include /usr/share/locale/locale.alias',
    'path-exclude /usr/share/lintian/*',
    '',
  ],
  'etc/apt/apt.conf.d/dispatch-clean': [
    'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
    'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
    'Dir::Cache::pkgcache "";',
    'Dir::Cache::srcpkgcache "";',
    '',
  ],
};

const service = (file, name) => ({
  file,
  args: { SERVICE: name, NODE_IMAGE: BASES.node },
  bases: ['node'],
});

/** Every image, by the name it is tagged with (`localhost/dispatch-<name>`). */
export const IMAGES = {
  identity: service('deploy/service.Dockerfile', 'identity'),
  secrets: service('deploy/service.Dockerfile', 'secrets'),
  events: service('deploy/service.Dockerfile', 'events'),
  'api-gateway': service('deploy/service.Dockerfile', 'api-gateway'),
  functions: service('deploy/toolchains.Dockerfile', 'functions'),
  images: service('deploy/toolchains.Dockerfile', 'images'),
  'runner-nodejs': {
    file: 'deploy/runners/nodejs.Dockerfile',
    args: { NODE_IMAGE: BASES.node },
    bases: ['node'],
  },
  'runner-python3': {
    file: 'deploy/runners/python3.Dockerfile',
    args: { PYTHON_IMAGE: BASES.python },
    bases: ['python'],
  },
  'runner-java': {
    file: 'deploy/runners/java.Dockerfile',
    args: { MAVEN_IMAGE: BASES.maven, RUNTIME_IMAGE: BASES.debian },
    bases: ['maven'],
  },
};

export const imageOf = (name) => `localhost/dispatch-${name}:${VERSION}`;

function exists(image) {
  return spawnSync('podman', ['image', 'exists', image], { env: podmanEnv() }).status === 0;
}

/** The Debian mirror apt uses here (deb822 or one-line sources), so debootstrap fetches what apt can. */
function debianMirror() {
  for (const file of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const uri =
      /^URIs:\s*(\S+)/m.exec(text)?.[1] ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+\s/m.exec(text)?.[1];
    if (uri && !uri.includes('security')) return uri;
  }
  return 'http://deb.debian.org/debian';
}

/** Debian's minimal base, from a tarball cached across clones (debootstrap takes about 30 s, once). */
function debianBase() {
  if (exists(BASES.debian)) return;
  const tarball = join(IMAGE_CACHE, `debian-${SUITE}-slim.tar`);
  if (!existsSync(tarball)) {
    aptInstall('debootstrap', ['debootstrap']);
    const root = mkdtempSync(join(tmpdir(), 'dispatch-debootstrap-'));
    try {
      log(`making the Debian ${SUITE} base with debootstrap (once)`);
      const boot = spawnSync('debootstrap', ['--variant=minbase', SUITE, root, debianMirror()], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      if (boot.status !== 0) throw new Error('debootstrap failed; see its output above');
      // What apt downloaded and indexed to make it, and what a container never reads: not in the image.
      for (const dir of ['var/cache/apt', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man']) {
        rmSync(join(root, dir), { recursive: true, force: true });
      }
      for (const dir of ['usr/share/info', 'usr/share/locale']) {
        for (const entry of readdirSync(join(root, dir))) {
          if (entry !== 'locale.alias') rmSync(join(root, dir, entry), { recursive: true, force: true });
        }
      }
      rmSync(join(root, 'var/log'), { recursive: true, force: true });
      for (const dir of ['var/cache/apt/archives/partial', 'var/lib/apt/lists/partial', 'var/log']) {
        mkdirSync(join(root, dir), { recursive: true });
      }
      // The JDK's packages link their manual pages here, and fail when it is missing.
      mkdirSync(join(root, 'usr/share/man/man1'), { recursive: true });
      for (const [file, lines] of Object.entries(SLIM)) writeFileSync(join(root, file), lines.join('\n'));
      mkdirSync(IMAGE_CACHE, { recursive: true });
      const tar = spawnSync('tar', ['-C', root, '-cf', `${tarball}.part`, '.']);
      if (tar.status !== 0) throw new Error('packing the Debian base failed');
      spawnSync('mv', [`${tarball}.part`, tarball]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  podman(['import', '--change', 'CMD ["bash"]', tarball, BASES.debian], { quiet: true });
}

/** A base from a Containerfile written here, in a context holding `files` (copied in). */
function derivedBase(image, containerfile, files = {}) {
  if (exists(image)) return;
  debianBase();
  const context = mkdtempSync(join(tmpdir(), 'dispatch-base-'));
  try {
    for (const [name, from] of Object.entries(files)) cpSync(from, join(context, name), { recursive: true });
    writeFileSync(join(context, 'Containerfile'), `FROM ${BASES.debian}\n${containerfile}`);
    log(`making ${image}`);
    podman(['build', '-q', '-t', image, context], { quiet: true });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

const APT = (packages) =>
  `RUN apt-get update && apt-get install -y --no-install-recommends ${packages} && rm -rf /var/lib/apt/lists/*\n`;

const makeBase = {
  node: () =>
    derivedBase(
      BASES.node,
      [
        // The machine's own node (it needs only glibc and libstdc++) and npm, where node images keep them.
        'COPY node /usr/local/bin/node',
        'COPY npm /usr/local/lib/node_modules/npm',
        'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\',
        ' && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx',
        'CMD ["node"]',
        '',
      ].join('\n'),
      { node: process.execPath, npm: join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm') },
    ),
  python: () => derivedBase(BASES.python, APT('python3') + 'CMD ["python3"]\n'),
  maven: () => derivedBase(BASES.maven, APT('openjdk-17-jdk-headless maven')),
};

/** Builds one image; the bases it needs are made first. */
export function build(name) {
  const spec = IMAGES[name];
  if (!spec) throw new Error(`no image ${name}: use one of ${Object.keys(IMAGES).join(', ')}`);
  for (const base of spec.bases) makeBase[base]();
  const args = ['build', '-f', spec.file, '-t', imageOf(name)];
  for (const [key, value] of Object.entries(spec.args)) args.push('--build-arg', `${key}=${value}`);
  if (CA_BUNDLE && existsSync(CA_BUNDLE)) {
    args.push(
      '--volume',
      `${CA_BUNDLE}:${CA_IN_BUILD}:ro`,
      '--build-arg',
      `NODE_EXTRA_CA_CERTS=${CA_IN_BUILD}`,
    );
    if (existsSync(JAVA_CACERTS))
      args.push(
        '--volume',
        `${JAVA_CACERTS}:${JAVA_CACERTS_IN_BUILD}:ro`,
        '--build-arg',
        `MAVEN_OPTS=-Djavax.net.ssl.trustStore=${JAVA_CACERTS_IN_BUILD}`,
      );
  }
  log(`building ${imageOf(name)} from ${spec.file}`);
  const started = Date.now();
  podman([...args, '.'], { quiet: true });
  log(`${imageOf(name)} built in ${Math.round((Date.now() - started) / 1000)} s`);
  return imageOf(name);
}

/** The images built, with their sizes. */
export function list() {
  return podman(
    [
      'images',
      '--format',
      '{{.Repository}}:{{.Tag}}\t{{.Size}}',
      '--filter',
      'reference=localhost/dispatch-*',
    ],
    {
      quiet: true,
    },
  ).trim();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [verb = 'build', ...rest] = process.argv.slice(2);
  const names = rest.filter((arg) => arg !== '--network');
  try {
    ensurePodman();
    // --network: also the podman network the containers shape runs them on (tools/lib/containers.js).
    if (rest.includes('--network')) ensureNetwork();
    if (verb === 'build') for (const name of names.length ? names : Object.keys(IMAGES)) build(name);
    else if (verb !== 'list') throw new Error(`unknown command '${verb}': use build [name...] or list`);
    console.log(list());
  } catch (err) {
    console.error(`error: ${err.message}`);
    process.exit(1);
  }
}
