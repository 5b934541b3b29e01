import type { DetectionModel } from './model';
import { BeaconModel } from './beacon';
import { NewConnectionModel } from './new-connection';

/** Every model, in the order a window runs them. */
export function allModels(): DetectionModel[] {
  return [new NewConnectionModel(), new BeaconModel()];
}
