import { z } from 'zod';
import * as ipaddr from 'ipaddr.js';
import { validate as validateCron } from 'node-cron';

/**
 * Configuration of the detector, of the network's zones and of the conduits between them. Part of the one schema
 * (`schema.ts`); kept in its own file because the detector and the asset inventory read it, the ingest worker not.
 */

export const cidr = z.string().refine(
  (s) => {
    try {
      ipaddr.parseCIDR(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected a network in CIDR notation such as 10.0.0.0/8 or fd00::/8' },
);

const positiveInt = () => z.number().int().positive();
const isoTime = z.iso.datetime({ offset: true }).describe('ISO 8601 time with its zone, such as 2026-11-24T22:00:00Z');

export const MODEL_IDS = ['new_connection', 'rare_destination', 'inbound', 'protocol', 'volume', 'beacon', 'dns', 'ot', 'email'] as const;
export type ModelId = (typeof MODEL_IDS)[number];

export const zoneSchema = z.strictObject({
  name: z.string().min(1).describe('Zone name, such as "control" or "enterprise".'),
  subnets: z.array(cidr).min(1).describe('Networks of the zone.'),
  level: z.number().min(0).max(5).optional().describe('Purdue level (0 process to 5 enterprise).'),
});

export const conduitSchema = z.strictObject({
  from: z.string().min(1).describe('Zone the connection starts in, or "*".'),
  to: z.string().min(1).describe('Zone it goes to, or "*".'),
  ports: z.array(z.number().int().min(0).max(65535)).optional().describe('Destination ports allowed; unset: any.'),
  protocols: z.array(z.string().min(1)).optional().describe('Application protocols allowed (`network.protocol`: modbus, dnp3, ssl...); unset: any.'),
});

export const maintenanceSchema = z.strictObject({
  id: z.string().min(1).describe('Name of the window.'),
  reference: z.string().min(1).describe('Change ticket or work order that authorises it.'),
  start: isoTime,
  end: isoTime,
  devices: z.array(cidr).default([]).describe('Devices (networks) it covers; with zones, either matches. Both empty: every device.'),
  zones: z.array(z.string().min(1)).default([]).describe('Zones it covers.'),
  models: z.array(z.enum(MODEL_IDS)).default([]).describe('Models it covers; empty: all.'),
  learn: z.boolean().default(false).describe('Whether baselines learn from what happens inside the window.'),
});

export const detectorSchema = z
  .strictObject({
    schedule: z
      .string()
      .refine((s) => validateCron(s), { message: 'expected a cron expression such as "*/5 * * * *"' })
      .default('*/5 * * * *')
      .describe('When `vigil detect` runs a pass (node-cron syntax, optional seconds field). A pass never overlaps the previous one.'),
    windowMinutes: positiveInt()
      .max(1440)
      .refine((m) => 1440 % m === 0, { message: 'must divide a day (5, 10, 15, 30, 60, ...)' })
      .default(15)
      .describe('Length of a detection window; a pass handles every complete window since the last one.'),
    lagSeconds: z.number().int().min(0).default(120).describe('A window is complete this long after its end, so late events are in.'),
    maxWindowsPerPass: positiveInt().default(672).describe('Windows handled by one pass at most; the rest waits for the next pass (bounds a first pass over a long history).'),
    halfLifeDays: z.number().positive().default(14).describe('Half-life of what baselines remember: old behaviour fades with this half-life.'),
    alertScore: z.number().min(0).max(100).default(60).describe('Anomalies at or above this score are alerts; below, they are kept as observations.'),
    baselineCacheMegabytes: z
      .number()
      .min(0)
      .max(4096)
      .default(64)
      .describe('Baselines a pass keeps in memory across windows, in MiB, so that one active in many windows is written once per checkpoint; 0 writes them after every window.'),
    concurrency: positiveInt()
      .max(16)
      .default(2)
      .describe('Models run at once on a window, each with its own requests to Elasticsearch; a model that reads another one\'s baselines waits for it.'),
    pageSize: positiveInt().max(10_000).default(2000).describe('Buckets per composite aggregation page.'),
    incidentWindowMinutes: positiveInt().default(1440).describe('Anomalies that share an entity within this long join one incident.'),
    partition: z
      .strictObject({
        count: positiveInt().default(1).describe('Detector processes sharing the work.'),
        index: z.number().int().min(0).default(0).describe('Which share this process takes (0 to count-1). Also `--partition i/n`.'),
      })
      .prefault({})
      .refine((p) => p.index < p.count, { message: 'partition.index must be below partition.count' }),
    maintenance: z.array(maintenanceSchema).default([]).describe('Maintenance windows: anomalies inside are recorded as expected, not alerted.'),
    models: z
      .strictObject({
        new_connection: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
        rare_destination: z
          .strictObject({
            enabled: z.boolean().default(true),
            maxDevices: positiveInt().default(2).describe('An external destination contacted by at most this many internal devices is rare.'),
            uploadBytes: positiveInt()
              .default(10_000_000)
              .describe('Bytes a device sends a rare destination in one window, ten times what it gets back, that make an upload worth reporting.'),
          })
          .prefault({}),
        inbound: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
        protocol: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
        volume: z
          .strictObject({
            enabled: z.boolean().default(true),
            minHistoryWindows: positiveInt().default(24).describe('Windows of history a device needs before its volume is judged.'),
          })
          .prefault({}),
        beacon: z
          .strictObject({
            enabled: z.boolean().default(true),
            spanHours: positiveInt().default(24).describe('Connection history a pair is judged on.'),
            minConnections: positiveInt().default(12).describe('Connections a pair needs in the span to be judged.'),
            normalAfterDays: positiveInt().default(3).describe('A pair seen beaconing on this many days is learned as normal (polling, updates).'),
          })
          .prefault({}),
        dns: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
        ot: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
        email: z
          .strictObject({
            enabled: z.boolean().default(true),
            organisationDomains: z.array(z.string().min(1)).default([]).describe('Mail domains of the organisation, for lookalike detection (learned domains are added).'),
          })
          .prefault({}),
      })
      .prefault({}),
  })
  .prefault({});

export type DetectorConfig = z.infer<typeof detectorSchema>;
export type MaintenanceWindow = z.infer<typeof maintenanceSchema>;
export type Zone = z.infer<typeof zoneSchema>;
export type Conduit = z.infer<typeof conduitSchema>;

export const assetsSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Whether `vigil detect` runs an inventory pass before each detection pass (`vigil assets` always runs one).'),
    lagSeconds: z
      .number()
      .int()
      .min(0)
      .default(60)
      .describe('A pass reads events ingested up to this long ago, so that documents still in an ingest batch are read by the next pass.'),
    pageSize: positiveInt().max(10_000).default(5000).describe('Buckets per composite aggregation page.'),
    inventoryFile: z.string().min(1).optional().describe('Your own asset list (CSV with a header row, or JSON), compared with what the network shows.'),
    roles: z
      .strictObject({
        hmiMinControllers: positiveInt().default(3).describe('Controllers a device must poll to be taken for an HMI.'),
        serverMinClients: positiveInt().default(5).describe('Clients a device must answer to be taken for a server.'),
      })
      .prefault({}),
  })
  .prefault({});

export type AssetsConfig = z.infer<typeof assetsSchema>;
