/**
 * Local networks (`networks.local`) the evaluation configures for each labeled scenario: the defaults of the
 * configuration schema (RFC 1918, CGNAT, ULA, link-local) plus, where the capture's monitored computer sits on a
 * public network, that network. Without it the monitored computer of the CTU mixed days would be a remote host, and
 * every model that judges local devices would ignore it.
 *
 * The READMEs of 008 and 010-012 describe the computer ("Benign windows computer ... attacked form the Internet",
 * captured "in the Stratosphere Laboratory, Czech Technical University in Prague") but do not write its address:
 * the address is the `dstIP=` condition of the scenario's `External-Attack-to-Device` label in `labels.config`, and
 * Zeek itself marked it (and other 147.32.x.x servers, such as 147.32.3.96 in 010) local in the `local_orig` /
 * `local_resp` columns of conn.log. 147.32.0.0/16 is the university's network, so the whole of it is local.
 * `eval-networks.test.ts` checks every quote and address below against the corpus.
 */
import { basename } from 'node:path';
import { defaultLocalNetworks } from '../common/config/schema';
import { localNetworkMatcher } from '../ingest/enrich/direction';
import { forEachZeekRecord } from '../ingest/parse/zeek/read-file';
import { SiteNetworks } from '../detector/site-networks';

export interface ScenarioNetwork {
  /** Added to the default local networks. */
  network: string;
  /** The monitored computer, as `labels.config` names it. */
  device: string;
  /** Sentences quoted verbatim from the scenario's README.md. */
  readme: string[];
  /** The line of `labels.config` that names the device, verbatim (trimmed). */
  labelsConfig: string;
}

const CTU = 'It was done in the Stratosphere Laboratory, Czech Technical University in Prague, Czech Republic.';
const CTU_AUTHOR = 'The capture was done in the Stratosphere Laboratory, Czech Technical University in Prague, Czech Republic';
const ATTACKED = 'Benign windows computer doing normal activities, attacked form the Internet';

export const SCENARIO_NETWORKS: Readonly<Record<string, ScenarioNetwork>> = {
  '008-zeek-mixed': {
    network: '147.32.0.0/16',
    device: '147.32.81.167',
    readme: [CTU, 'The capture was supposedly only benign when it was done, but the computer was connected to the Internet so it was attacked.'],
    labelsConfig: '- dstIP=147.32.81.167',
  },
  '010-zeek-mixed': {
    network: '147.32.0.0/16',
    device: '147.32.83.234',
    readme: [ATTACKED, CTU_AUTHOR],
    labelsConfig: '- dstIP=147.32.83.234',
  },
  '011-zeek-mixed': {
    network: '147.32.0.0/16',
    device: '147.32.83.165',
    readme: [ATTACKED, CTU_AUTHOR],
    labelsConfig: '- dstIP=147.32.83.165',
  },
  '012-zeek-mixed': {
    network: '147.32.0.0/16',
    device: '147.32.83.161',
    readme: [ATTACKED, CTU_AUTHOR],
    labelsConfig: '- dstIP=147.32.83.161',
  },
};

/**
 * `networks.local` for a scenario folder name. A scenario the table does not know (a capture added to the labeled
 * set later) gets the networks its own sensor called local, read from its conn logs (`zeekMarkedLocal`), so that
 * a monitored computer on a public network is judged as a local device there too.
 */
export function localNetworksFor(scenario: string, files: readonly string[] = []): string[] {
  const extra = SCENARIO_NETWORKS[scenario];
  const defaults = defaultLocalNetworks();
  if (extra) return defaults.includes(extra.network) ? defaults : [...defaults, extra.network];
  return [...defaults, ...zeekMarkedLocal(files.filter((f) => basename(f).startsWith('conn.')), defaults)];
}

/**
 * The networks Zeek's `Site::local_nets` held on the sensor that wrote these conn logs: every address of a
 * connection marked `local_orig` or `local_resp`, outside `known`, grouped as `SiteNetworks` writes them (a /24 or
 * /64 each, a /16 whole from which several /24s were marked). Logs without these columns, or a sensor configured
 * with no local networks, add nothing. The detector's quickstart reads the same marks from Elasticsearch
 * (`zeekLocalNetworks`).
 */
export function zeekMarkedLocal(connFiles: readonly string[], known: readonly string[]): string[] {
  const isKnown = localNetworkMatcher(known);
  const site = new SiteNetworks();
  for (const file of connFiles) {
    forEachZeekRecord(file, (r) => {
      for (const [address, marked] of [
        [r.fields['id.orig_h'], r.fields.local_orig],
        [r.fields['id.resp_h'], r.fields.local_resp],
      ]) {
        if (marked === true && typeof address === 'string' && !isKnown(address)) site.add(address);
      }
    });
  }
  return site.networks();
}
