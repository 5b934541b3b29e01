import { z } from 'zod';
import { assetsSchema, cidr, conduitSchema, detectorSchema, zoneSchema } from './detector-schema';

/**
 * The one configuration schema. Every key has a description and a default; unknown keys are rejected so a typo
 * stops the program at start instead of being ignored. `vigil config --print-defaults` prints the defaults and
 * the README lists every key from this file.
 */

const positiveInt = () => z.number().int().positive();

export const elasticsearchSchema = z
  .strictObject({
    url: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('Elasticsearch URL. Unset: the local instance started by `vigil es start`. Env: VIGIL_ES_URL.'),
    username: z.string().min(1).optional().describe('Basic-auth user. Env: VIGIL_ES_USERNAME.'),
    password: z.string().min(1).optional().describe('Basic-auth password. Env: VIGIL_ES_PASSWORD.'),
    apiKey: z.string().min(1).optional().describe('Encoded API key, used instead of a user. Env: VIGIL_ES_API_KEY.'),
    caFile: z.string().min(1).optional().describe('PEM file of the CA that signed the cluster certificate. Env: VIGIL_ES_CA_FILE.'),
    requestTimeoutMs: positiveInt().default(60_000).describe('Time limit of one request to Elasticsearch.'),
    replicas: z.number().int().min(0).default(0).describe('Replicas of each Vigil index (0 suits a single node).'),
    indexRollover: z
      .enum(['daily', 'monthly'])
      .default('daily')
      .describe('One event index per day or per month of event time; daily suits busy sensors.'),
  })
  .prefault({});

export const bulkSchema = z
  .strictObject({
    maxDocs: positiveInt().default(5000).describe('Documents per bulk request at most.'),
    maxBytes: positiveInt().default(5 * 1024 * 1024).describe('Bytes of NDJSON per bulk request at most.'),
    flushIntervalMs: positiveInt().default(1000).describe('A partial batch is sent after this long.'),
    concurrency: positiveInt().default(2).describe('Bulk requests in flight at once; the reader waits when all are busy.'),
    retryInitialMs: positiveInt().default(250).describe('First retry delay after 429, 5xx or a connection error.'),
    retryMaxMs: positiveInt().default(30_000).describe('Longest retry delay; retries of transient errors never give up.'),
  })
  .prefault({});

export const zeekSourceSchema = z
  .strictObject({
    pollIntervalMs: positiveInt().default(1000).describe('How often a followed directory is rescanned for new and grown files.'),
    fingerprintBytes: positiveInt().default(1024).describe('Leading bytes that identify a file across renames and gzip.'),
    partialLineTimeoutMs: positiveInt().default(5000).describe('An unterminated last line is read after the file is quiet this long.'),
    recursive: z.boolean().default(false).describe('Also follow log files in subdirectories.'),
  })
  .prefault({});

const timeZone = z.string().refine(
  (name) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: name });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected an IANA time zone such as UTC or Europe/Berlin' },
);

export const mailSourceSchema = z
  .strictObject({
    timeZone: timeZone
      .default(() => Intl.DateTimeFormat().resolvedOptions().timeZone)
      .describe('Zone of mail log timestamps written without one (classic syslog). Default: this machine\'s zone.'),
    messageTimeoutSeconds: positiveInt()
      .default(3600)
      .describe('A message the MTA never reports as gone is closed (state `timeout`) after this long without a line, in log time.'),
    deferredTimeoutSeconds: positiveInt()
      .default(5 * 86400 + 3600)
      .describe('The same for a message whose recipients are deferred: Postfix keeps retrying for 5 days (maximal_queue_lifetime).'),
    maxOpenMessages: positiveInt()
      .default(100_000)
      .describe('Messages kept open in memory at most; beyond, the least recently active is closed (state `timeout`).'),
    bulk: z
      .strictObject({
        maxDocs: positiveInt().default(2000).describe('Documents per bulk request at most, for mail.'),
        maxBytes: positiveInt()
          .default(2 * 1024 * 1024)
          .describe('Bytes per bulk request at most, for mail: mail documents are small, and the worker also holds the open messages, so smaller requests keep its memory low.'),
      })
      .prefault({}),
    pollIntervalMs: positiveInt().default(1000).describe('How often followed mail logs are checked for new lines and rotation.'),
    fingerprintBytes: positiveInt().default(256).describe('Leading bytes that identify a mail log across renames and gzip.'),
    partialLineTimeoutMs: positiveInt().default(5000).describe('An unterminated last line is read after the file is quiet this long.'),
    syslog: z
      .strictObject({
        listen: z
          .array(z.string().regex(/^(udp|tcp):\/\/(\[[0-9a-fA-F:.]+\]|[^\s:/]+):\d{1,5}$/, 'expected udp://host:port or tcp://host:port'))
          .default([])
          .describe('Syslog listeners for MTAs that log remotely, such as tcp://127.0.0.1:5514 (also `--syslog`).'),
        maxBufferBytes: positiveInt()
          .default(512 * 1024 * 1024)
          .describe('On-disk buffer of received lines not yet indexed; when full, TCP senders are paused and UDP datagrams counted as dropped.'),
        segmentBytes: positiveInt().default(16 * 1024 * 1024).describe('Size of one buffer file.'),
      })
      .prefault({}),
  })
  .prefault({});

export const ingestSchema = z
  .strictObject({
    stateDir: z.string().min(1).optional().describe('Where checkpoints live. Default: a `vigil` folder in the user state directory. Env: VIGIL_STATE_DIR.'),
    bulk: bulkSchema,
    zeek: zeekSourceSchema,
    mail: mailSourceSchema,
    assets: z
      .strictObject({
        refreshSeconds: z
          .number()
          .int()
          .min(0)
          .default(300)
          .describe('How often the Zeek worker reads the asset roles again from the asset inventory (`vigil.source.role`, `vigil.destination.role`); 0: roles are not read (zones still apply).'),
      })
      .prefault({}),
    metrics: z
      .strictObject({
        listen: z
          .string()
          .regex(/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, 'expected host:port such as 127.0.0.1:9464')
          .nullable()
          .default('127.0.0.1:9464')
          .describe('Address of the Prometheus /metrics endpoint while following; null turns it off.'),
      })
      .prefault({}),
  })
  .prefault({});

export const configSchema = z.strictObject({
  sensor: z
    .string()
    .min(1)
    .optional()
    .describe('Name of this Zeek sensor (`observer.name`); default: the host name.'),
  networks: z
    .strictObject({
      local: z
        .array(cidr)
        .default(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7', 'fe80::/10'])
        .describe('Local networks: traffic between them is internal, to elsewhere outbound (`network.direction`).'),
    })
    .prefault({}),
  zones: z.array(zoneSchema).default([]).describe('Network zones by subnet, with their Purdue level (IEC 62443 zones).'),
  conduits: z
    .array(conduitSchema)
    .default([])
    .describe('Flows allowed between zones; with zones configured, a flow between two zones that no conduit allows is an anomaly. Empty: no policy.'),
  elasticsearch: elasticsearchSchema,
  ingest: ingestSchema,
  detector: detectorSchema,
  assets: assetsSchema,
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log level. Env: VIGIL_LOG_LEVEL.'),
    })
    .prefault({}),
});

export type VigilConfig = z.infer<typeof configSchema>;

/** `networks.local` when the configuration leaves it out: the private, shared, unique-local and link-local ranges. */
export function defaultLocalNetworks(): string[] {
  return configSchema.parse({}).networks.local;
}
