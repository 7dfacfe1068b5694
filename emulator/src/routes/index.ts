/** The route table of every ARM operation the emulator serves. */
import type { Route } from '../router';
import { activityLogRoutes } from './activityLog';
import { operationRoutes } from './operations';
import { resourceGraphRoutes } from './resourceGraph';
import { serverFarmRoutes } from './serverFarms';
import { siteConfigRoutes } from './siteConfig';
import { siteRoutes } from './sites';
import { slotRoutes } from './slots';
import { swiftRoutes } from './swift';
import { virtualNetworkListRoutes } from './virtualNetworkLists';
import { virtualNetworkRoutes } from './virtualNetworks';

export const ROUTES: Route[] = [
  ...siteRoutes,
  ...siteConfigRoutes,
  ...swiftRoutes,
  ...slotRoutes,
  ...serverFarmRoutes,
  ...virtualNetworkRoutes,
  ...virtualNetworkListRoutes,
  ...operationRoutes,
  ...activityLogRoutes,
  ...resourceGraphRoutes,
];

/** spec operationIds served (for coverage reports) */
export const OPERATION_IDS: string[] = ROUTES.map((r) => r.operationId).filter((x): x is string => !!x);
