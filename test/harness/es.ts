import { Client } from '@elastic/elasticsearch';
import { LocalElasticsearchError } from '../../common/errors';
import { pauseLocalEs, resumeLocalEs, startLocalEs, stopLocalEs, type LocalEsOptions } from '../../cli/local-es';
import { MANAGED_MARKER, testLocalEsOptions } from './test-es-options';

export interface TestEsConnection {
  url: string;
  username: string;
  password: string;
}

/** The Elasticsearch the global setup gave the tests. */
export function testEsConnection(): TestEsConnection {
  const { VIGIL_TEST_ES_URL: url, VIGIL_TEST_ES_USERNAME: username, VIGIL_TEST_ES_PASSWORD: password } = process.env;
  if (!url || !username || !password) {
    throw new LocalElasticsearchError(
      'VIGIL_TEST_ES_URL, VIGIL_TEST_ES_USERNAME and VIGIL_TEST_ES_PASSWORD are not all set. Run integration tests with the global setup (plain `npx jest`), which starts the test Elasticsearch, or set them to an Elasticsearch of your own.',
    );
  }
  return { url, username, password };
}

/** A client for the test Elasticsearch; the test closes it. */
export function testEsClient(): Client {
  const { url, username, password } = testEsConnection();
  return new Client({ node: url, auth: { username, password } });
}

export interface TestEsControl {
  options: LocalEsOptions;
  /** Graceful stop; the data stays. */
  stop(): Promise<void>;
  /** Starts again on the same data and resolves once the cluster is yellow or green. */
  start(): Promise<void>;
  /** SIGSTOP: the port stays open and nothing answers. */
  pause(): Promise<void>;
  resume(): Promise<void>;
}

/** Stops, starts, pauses and resumes the test instance, which only works on the one the global setup runs. */
export function testEsControl(): TestEsControl {
  if (!process.env[MANAGED_MARKER]) {
    throw new LocalElasticsearchError(
      'The test Elasticsearch was not started by the global setup (VIGIL_TEST_ES_URL names one of your own), so tests cannot stop or pause it.',
    );
  }
  const options = testLocalEsOptions();
  return {
    options,
    async stop() {
      await stopLocalEs(options);
    },
    async start() {
      await startLocalEs(options);
    },
    async pause() {
      pauseLocalEs(options);
    },
    async resume() {
      resumeLocalEs(options);
    },
  };
}

/**
 * A client for the test Elasticsearch, opened before the tests of the calling `describe` and closed after them.
 * Use the returned getter inside tests and hooks.
 */
export function useTestEsClient(): () => Client {
  let client: Client | undefined;
  beforeAll(() => {
    client = testEsClient();
  });
  afterAll(async () => {
    await client?.close();
  });
  return () => {
    if (!client) throw new LocalElasticsearchError('the test Elasticsearch client is used outside the tests of its describe block');
    return client;
  };
}
