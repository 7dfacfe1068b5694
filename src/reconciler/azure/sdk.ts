/**
 * The Azure SDK packages, each loaded on first use. Importing one costs tens to hundreds of
 * milliseconds (arm-network is the largest), so a command or a tick pays only for the clients
 * it calls: `validate` and `--help` load none, a Resource Graph tick with no drift loads no
 * management SDK.
 */
/* eslint-disable @typescript-eslint/no-require-imports */

export function appServiceSdk(): typeof import('@azure/arm-appservice') {
  return require('@azure/arm-appservice');
}

export function networkSdk(): typeof import('@azure/arm-network') {
  return require('@azure/arm-network');
}

export function monitorSdk(): typeof import('@azure/arm-monitor') {
  return require('@azure/arm-monitor');
}

export function restPipelineSdk(): typeof import('@azure/core-rest-pipeline') {
  return require('@azure/core-rest-pipeline');
}

export function identitySdk(): typeof import('@azure/identity') {
  return require('@azure/identity');
}

export function dataTablesSdk(): typeof import('@azure/data-tables') {
  return require('@azure/data-tables');
}
