import type { DetectionModel } from './model';
import { BeaconModel } from './beacon';
import { DnsModel } from './dns';
import { EmailModel } from './email';
import { InboundModel } from './inbound';
import { NewConnectionModel } from './new-connection';
import { OtModel } from './ot';
import { ProtocolModel } from './protocol';
import { RareDestinationModel } from './rare-destination';
import { VolumeModel } from './volume';

/** Every model, in the order a window runs them. */
export function allModels(): DetectionModel[] {
  return [new NewConnectionModel(), new BeaconModel(), new RareDestinationModel(), new InboundModel(), new ProtocolModel(), new VolumeModel(), new DnsModel(), new OtModel(), new EmailModel()];
}
