import type { ImageLanguage, SystemPackage } from '@dispatch/contracts';

/**
 * What an image's manifest may ask for: packages from registries, never something on the machine that
 * builds it. A build sees only its own manifest and output (and its org's package cache), so a file or
 * path could only name those; it is still refused, with the line at fault, so that the manifest says
 * what it depends on and nothing can be smuggled in as a "local" package.
 */
export function manifestProblem(language: ImageLanguage, manifest: string | undefined): string | undefined {
  if (!manifest?.trim()) return undefined;
  switch (language) {
    case 'python3':
      return requirementsProblem(manifest);
    case 'nodejs':
      return packageJsonProblem(manifest);
    case 'java':
      return pomProblem(manifest);
  }
}

/** Options of requirements.txt that read other files or install from a directory. */
const PIP_FILE_OPTIONS = /^(-r|--requirement|-c|--constraint|-e|--editable|-f|--find-links)(\s|=|$)/;
/**
 * A requirement that is a path (`./pkg`, `/x`, `~/x`, `pkg/`), or names a `file:` URL, rather than a
 * package from an index or a remote URL.
 */
const PIP_LOCAL = /^(\.|\/|~)|file:|^[\w.-]+[/\\]/;

function requirementsProblem(manifest: string): string | undefined {
  for (const [index, raw] of manifest.split('\n').entries()) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (!line || line.startsWith('#')) continue;
    if (PIP_FILE_OPTIONS.test(line) || PIP_LOCAL.test(line))
      return `requirements.txt line ${index + 1} (${JSON.stringify(line)}) names a file, a directory or an editable install: an image installs packages from an index only`;
  }
  return undefined;
}

/** Specs npm resolves on the machine itself rather than from a registry or a remote URL. */
const NPM_LOCAL = /^(file:|link:|portal:|workspace:|\.|\/|~)/;

function packageJsonProblem(manifest: string): string | undefined {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(manifest) as Record<string, unknown>;
  } catch (err) {
    return `package.json is not valid JSON: ${(err as Error).message}`;
  }
  for (const field of [
    'dependencies',
    'optionalDependencies',
    'peerDependencies',
    'devDependencies',
    'overrides',
  ]) {
    const deps = json[field];
    if (deps === undefined) continue;
    if (typeof deps !== 'object' || deps === null) return `package.json ${field} must be an object`;
    for (const [name, spec] of Object.entries(deps)) {
      if (typeof spec === 'string' && NPM_LOCAL.test(spec.trim()))
        return `package.json ${field}.${name} (${JSON.stringify(spec)}) names a file or directory: an image installs packages from a registry only`;
    }
  }
  return undefined;
}

function pomProblem(manifest: string): string | undefined {
  if (/<systemPath>/i.test(manifest))
    return 'pom.xml names a <systemPath>: an image takes dependencies from a repository, not from files on the machine';
  const url = /<url>\s*file:[^<]*<\/url>/i.exec(manifest);
  if (url)
    return `pom.xml names a repository on the machine (${url[0]}): an image takes dependencies from remote repositories only`;
  return undefined;
}

/** Debian package names and versions, as dpkg knows them: nothing else reaches dpkg-query. */
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
const PACKAGE_VERSION = /^[A-Za-z0-9.+~:-]+$/;

export function packagesProblem(packages: SystemPackage[]): string | undefined {
  for (const pkg of packages) {
    if (!PACKAGE_NAME.test(pkg.name))
      return `system package ${JSON.stringify(pkg.name)} is not a Debian package name`;
    if (pkg.version !== undefined && !PACKAGE_VERSION.test(pkg.version))
      return `system package ${pkg.name} has a version that is not a Debian version: ${JSON.stringify(pkg.version)}`;
  }
  return undefined;
}
