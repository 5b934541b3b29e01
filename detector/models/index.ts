import type { DetectionModel } from './model';
import { NewConnectionModel } from './new-connection';

/** Every model, in the order a window runs them. */
export function allModels(): DetectionModel[] {
  return [new NewConnectionModel()];
}
