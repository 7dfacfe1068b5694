/** The edges between a plan's actions, built once: what each action waits on and who waits on it. */
import type { PlannedAction } from './plan';

export interface DependencyGraph {
  /** Per action id, how many of its dependencies are in the list (ids outside it are not waited on). */
  waitingOn: Map<string, number>;
  /** Per action id, the positions in the list of the actions that depend on it. */
  dependents: Map<string, number[]>;
}

/** O(actions + edges). */
export function dependencyGraph(actions: readonly PlannedAction[]): DependencyGraph {
  const known = new Set(actions.map((action) => action.id));
  const waitingOn = new Map<string, number>();
  const dependents = new Map<string, number[]>();
  actions.forEach((action, index) => {
    const open = action.dependsOn.filter((id) => known.has(id));
    waitingOn.set(action.id, open.length);
    for (const id of open) {
      const list = dependents.get(id);
      if (list) list.push(index);
      else dependents.set(id, [index]);
    }
  });
  return { waitingOn, dependents };
}
