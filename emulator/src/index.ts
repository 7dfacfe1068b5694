/** ARM emulator: a local HTTPS Azure Resource Manager for the real Azure SDK clients. */
export { startEmulator } from './server';
export { AdvancingClock, ManualClock, systemClock, type Clock } from './clock';
export type {
  ActivityEvent,
  EmulatorAdmin,
  EmulatorOptions,
  EmulatorStateSnapshot,
  EventSubscriptionSpec,
  FaultKind,
  FaultSpec,
  Identity,
  LocalizableString,
  OutOfBandRequest,
  RateLimit,
  RecordedExchange,
  ResourceEvent,
  RunningEmulator,
  ThrottleOptions,
} from './types';
export type { Topology, TopologySiteConfig } from './topology';
export { API_VERSIONS, SDK_API_VERSION } from './apiVersions';
export { OPERATION_IDS } from './routes';
