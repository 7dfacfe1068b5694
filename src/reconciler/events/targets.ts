/**
 * Which policies a targeted reconcile must include when a resource changes. Built once per
 * set of policies, in one pass (a Map and a union-find), then answered per event without
 * searching the policies.
 *
 * A shared resource's desired state comes from every policy that names it (a callee's rules
 * from all its callers' subnets, a subnet's endpoints from all its policies), so reconciling
 * a pair alone could remove what another pair needs. The unit is therefore the connected
 * group: every policy that shares a caller, callee or subnet with another in the group. All
 * pairs of one policy share its subnet, so a group is always whole policies.
 */
import type { LockdownPolicy } from '../policy/types';
import { virtualNetworkOf } from '../resourceId';
import type { ManagedResource } from './resourceChange';

export interface TargetGroup {
  /** Stable name of the group: its smallest resource id (the lease key). */
  key: string;
  policies: LockdownPolicy[];
  pairs: number;
}

export interface Selection {
  groups: TargetGroup[];
  policies: LockdownPolicy[];
}

function resourcesOf(policy: LockdownPolicy): string[] {
  return [policy.subnetId, ...policy.callers.map((caller) => caller.id), ...policy.callees.map((callee) => callee.id)];
}

export class TargetIndex {
  /** Canonical site or subnet id → its group. */
  readonly #groupOf = new Map<string, TargetGroup>();
  /** Canonical virtual network id → groups with a subnet in it (a PUT of the VNet rewrites its subnets). */
  readonly #groupsOfNetwork = new Map<string, Set<TargetGroup>>();
  readonly groups: TargetGroup[];

  constructor(policies: LockdownPolicy[]) {
    const parent = new Map<string, string>();
    const find = (id: string): string => {
      let root = id;
      while (parent.get(root) !== root) root = parent.get(root)!;
      for (let node = id; node !== root; ) {
        const next = parent.get(node)!;
        parent.set(node, root);
        node = next;
      }
      return root;
    };
    for (const policy of policies) {
      const [first, ...rest] = resourcesOf(policy);
      if (!parent.has(first)) parent.set(first, first);
      for (const id of rest) {
        if (!parent.has(id)) parent.set(id, id);
        const a = find(first);
        const b = find(id);
        if (a !== b) parent.set(a < b ? b : a, a < b ? a : b);
      }
    }
    const byRoot = new Map<string, TargetGroup>();
    for (const policy of policies) {
      const root = find(policy.subnetId);
      let group = byRoot.get(root);
      if (!group) byRoot.set(root, (group = { key: root, policies: [], pairs: 0 }));
      group.policies.push(policy);
      group.pairs += policy.callers.length * policy.callees.length;
    }
    for (const id of parent.keys()) this.#groupOf.set(id, byRoot.get(find(id))!);
    for (const policy of policies) {
      const network = virtualNetworkOf(policy.subnetId);
      const groups = this.#groupsOfNetwork.get(network) ?? new Set<TargetGroup>();
      groups.add(this.#groupOf.get(policy.subnetId)!);
      this.#groupsOfNetwork.set(network, groups);
    }
    this.groups = [...byRoot.values()];
  }

  /** The groups (and their policies) a change to these resources touches; empty when no policy names them. */
  select(resources: ManagedResource[]): Selection {
    const groups = new Set<TargetGroup>();
    for (const resource of resources) {
      if (resource.kind === 'virtualNetwork') for (const group of this.#groupsOfNetwork.get(resource.id) ?? []) groups.add(group);
      else {
        const group = this.#groupOf.get(resource.id);
        if (group) groups.add(group);
      }
    }
    const ordered = [...groups].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { groups: ordered, policies: ordered.flatMap((group) => group.policies) };
  }
}
