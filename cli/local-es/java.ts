import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { LocalElasticsearchError } from '../../common/errors';

/**
 * The JDK that runs Elasticsearch, since this distribution bundles none: ES_JAVA_HOME, else JAVA_HOME, else the
 * installation that the `java` on PATH belongs to. Elasticsearch checks the version itself and says so clearly.
 */
export function resolveJavaHome(env: NodeJS.ProcessEnv = process.env): string {
  for (const name of ['ES_JAVA_HOME', 'JAVA_HOME'] as const) {
    const home = env[name];
    if (!home) continue;
    if (!isExecutable(join(home, 'bin', 'java'))) {
      throw new LocalElasticsearchError(`${name} is ${home}, but ${join(home, 'bin', 'java')} is not an executable file.`, undefined, {
        [name]: home,
      });
    }
    return home;
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'java');
    // PATH usually holds a chain of links (/usr/bin/java -> /etc/alternatives/java -> <jdk>/bin/java).
    if (isExecutable(candidate)) return dirname(dirname(realpathSync(candidate)));
  }
  throw new LocalElasticsearchError(
    'No Java was found: Elasticsearch needs Java 17 or newer. Install one, or set JAVA_HOME to its directory.',
  );
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
