import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LocalElasticsearchError } from '../../common/errors';
import { runCommandOrThrow } from './command';
import type { LocalEsLayout } from './layout';
import type { LocalEsOptions } from './options';

/**
 * The integration-test distribution: the server with security and the HTTP transport but none of the optional
 * modules (no ingest processors, no painless, no ML) and no bundled JDK, a quarter of the size of the full one.
 */
export function mavenCoordinates(version: string): string {
  return `org.elasticsearch.distribution.integ-test-zip:elasticsearch:${version}:zip`;
}

export function zipPath(options: Pick<LocalEsOptions, 'cacheDir' | 'version'>): string {
  return join(options.cacheDir, `elasticsearch-${options.version}.zip`);
}

/** Downloads the distribution into the cache unless it is already there, and returns the zip's path. */
export async function fetchElasticsearchZip(
  options: Pick<LocalEsOptions, 'cacheDir' | 'version'>,
  onProgress: (message: string) => void = () => undefined,
): Promise<string> {
  const zip = zipPath(options);
  if (existsSync(zip)) return zip;
  onProgress(`Downloading Elasticsearch ${options.version} into ${options.cacheDir}.`);
  // Maven writes the file in place; a separate directory and a rename keep an interrupted download out of the cache.
  const partial = join(options.cacheDir, `.download-${process.pid}`);
  mkdirSync(partial, { recursive: true });
  try {
    await runCommandOrThrow(
      'mvn',
      ['-q', '-B', 'dependency:copy', `-Dartifact=${mavenCoordinates(options.version)}`, `-DoutputDirectory=${partial}`],
      `Downloading Elasticsearch ${options.version} failed:`,
      { missingHint: 'Maven (mvn) downloads the Elasticsearch distribution; install it (for example apt-get install maven).' },
    );
    const fetched = join(partial, `elasticsearch-${options.version}.zip`);
    if (!existsSync(fetched)) {
      throw new LocalElasticsearchError(`Maven finished but did not write ${fetched}.`, undefined, { partial });
    }
    renameSync(fetched, zip);
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  return zip;
}

/** Unpacks the distribution into the instance directory unless it is already there. */
export async function ensureInstalled(
  options: LocalEsOptions,
  layout: LocalEsLayout,
  onProgress: (message: string) => void = () => undefined,
): Promise<void> {
  if (existsSync(join(layout.installDir, 'bin', 'elasticsearch'))) return;
  const zip = await fetchElasticsearchZip(options, onProgress);
  onProgress(`Unpacking Elasticsearch ${options.version} into ${layout.home}.`);
  const partial = join(layout.home, `.unpack-${process.pid}`);
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  try {
    await runCommandOrThrow('unzip', ['-q', '-o', zip, '-d', partial], `Unpacking ${zip} failed:`, {
      missingHint: 'It unpacks the Elasticsearch distribution; install it (for example apt-get install unzip).',
    });
    const top = readdirSync(partial);
    if (top.length !== 1) {
      throw new LocalElasticsearchError(`The archive ${zip} should hold one top-level directory but holds ${top.length} entries.`, undefined, {
        zip,
      });
    }
    rmSync(layout.installDir, { recursive: true, force: true });
    renameSync(join(partial, top[0]), layout.installDir);
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
}
