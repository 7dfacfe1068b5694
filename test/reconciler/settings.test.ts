/** Boolean app settings, parsed strictly. */
import { booleanSetting } from '../../src/reconciler/settings';

describe('boolean settings', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['True ', true],
    [' 1', true],
    ['yes', true],
    ['Yes', true],
    ['on', true],
    ['ON', true],
    ['false', false],
    ['False', false],
    ['0', false],
    ['no', false],
    ['NO', false],
    ['off', false],
    [' Off\t', false],
  ])('accepts %j as %s', (value, expected) => {
    expect(booleanSetting({ SWITCH: value }, 'SWITCH', !expected)).toBe(expected);
  });

  it.each([[undefined], [''], ['  ']])('takes the default for %j', (value) => {
    expect(booleanSetting({ SWITCH: value }, 'SWITCH', true)).toBe(true);
    expect(booleanSetting({ SWITCH: value }, 'SWITCH', false)).toBe(false);
  });

  it.each([['enabled'], ['y'], ['n'], ['2'], ['-1'], ['truee'], ['t'], ['nope'], ['true false'], ['ja']])('refuses %j, naming the setting and the accepted values', (value) => {
    expect(() => booleanSetting({ SWITCH: value }, 'SWITCH', false)).toThrow(/^SWITCH must be one of true\/false, 1\/0, yes\/no, on\/off \(any case; empty or unset means false\), not /);
  });
});
