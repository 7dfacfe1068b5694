/**
 * The end-to-end suite of lockdown.test.ts again, every tick observed through Resource Graph
 * (the emulator's, without lag): the same writes, the same safety, the same final states.
 */
import { observeThrough } from '../support/emulatorWorld';

observeThrough('resourcegraph');
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('./lockdown.test');
