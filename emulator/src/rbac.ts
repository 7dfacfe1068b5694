/** Optional RBAC mode: a list of allowed actions ('*' matches any characters, case-insensitive). */
import { ArmError } from './errors';

export interface Principal {
  caller: string;
  objectId: string;
}

export class Rbac {
  private patterns: RegExp[] | null = null;
  private actions: string[] | null = null;

  constructor(allowed: string[] | null | undefined) {
    this.set(allowed ?? null);
  }

  set(allowed: string[] | null): void {
    this.actions = allowed ? [...allowed] : null;
    this.patterns = allowed
      ? allowed.map((a) => new RegExp(`^${a.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`, 'i'))
      : null;
  }

  get enabled(): boolean {
    return this.patterns !== null;
  }

  allowedActions(): string[] | null {
    return this.actions ? [...this.actions] : null;
  }

  allows(action: string): boolean {
    return !this.patterns || this.patterns.some((p) => p.test(action));
  }
}

export const authorizationFailed = (who: Principal, action: string, scope: string) =>
  new ArmError(
    403,
    'AuthorizationFailed',
    `The client '${who.caller}' with object id '${who.objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );

export const linkedAuthorizationFailed = (who: Principal, action: string, scope: string, denied: { action: string; scope: string }[]) =>
  new ArmError(
    403,
    'LinkedAuthorizationFailed',
    `The client '${who.caller}' with object id '${who.objectId}' has permission to perform action '${action}' on scope '${scope}'; however, it does not have permission to perform action(s) '${denied.map((d) => d.action).join(',')}' on the linked scope(s) '${denied.map((d) => d.scope).join(',')}' (respectively) or the linked scope(s) are invalid.`,
  );
