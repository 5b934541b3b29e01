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
import { configSchema } from '../common/config/schema';

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

/** The schema's default local networks, so that the table above only adds to them. */
export function defaultLocalNetworks(): string[] {
  return configSchema.parse({}).networks.local;
}

/** `networks.local` for a scenario folder name. */
export function localNetworksFor(scenario: string): string[] {
  const extra = SCENARIO_NETWORKS[scenario];
  const defaults = defaultLocalNetworks();
  return extra && !defaults.includes(extra.network) ? [...defaults, extra.network] : defaults;
}
