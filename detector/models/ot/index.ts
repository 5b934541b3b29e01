import { hasEvents, type DetectionModel, type ModelContext } from '../model';
import type { ModelId } from '../../../common/config/detector-schema';
import { MODEL_ID } from './flows';
import { runItSpeaksOt } from './it-speaks-ot';
import { runOperations } from './operations';
import { runScan } from './scan';
import { runZones } from './zones';

/**
 * The OT model: what masters do to industrial devices (first writes, control and program operations, new
 * masters), IT devices that start speaking industrial protocols, scans of OT address space, and flows between
 * zones that the zone and conduit policy does not allow. Each concern reads the window with its own composite
 * sweeps and keeps its own baselines (kinds `pair`, `device`, `talker`, `reach`, `zone_flow`).
 */
export class OtModel implements DetectionModel {
  readonly id = MODEL_ID;
  /** The IT-speaks-OT check reads a source's device history from the new-connection model. */
  readonly reads: readonly ModelId[] = ['new_connection'];

  async run(ctx: ModelContext): Promise<void> {
    await runOperations(ctx);
    await ctx.baselines.flush();
    // The rest reads connections.
    if (!hasEvents(ctx, 'zeek.conn')) return;
    await runItSpeaksOt(ctx);
    await runScan(ctx);
    await runZones(ctx);
  }
}
