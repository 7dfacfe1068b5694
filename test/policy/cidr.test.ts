import { parseCidr } from '../../src/reconciler/policy/cidr';

describe('CIDR ranges', () => {
  it.each([
    ['203.0.113.0/24', '203.0.113.0/24'],
    ['10.1.2.3/32', '10.1.2.3/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['2001:DB8:0:0:0:0:0:0/32', '2001:db8::/32'],
    ['2001:db8:0:0:1:0:0:1/128', '2001:db8::1:0:0:1/128'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001/128', '2001:db8::1/128'],
    ['::/0', '::/0'],
    ['::1/128', '::1/128'],
    ['::ffff:192.0.2.1/128', '::ffff:c000:201/128'],
    ['fe80::/10', 'fe80::/10'],
  ])('accepts %s as %s', (text, canonical) => {
    expect(parseCidr(text)).toMatchObject({ ok: true, canonical });
  });

  it.each([
    ['203.0.113.7/24', 'host bits are set in 203.0.113.7/24', 'the range is 203.0.113.0/24; for the single address write 203.0.113.7/32'],
    ['2001:db8::1/64', 'host bits are set in 2001:db8::1/64', 'the range is 2001:db8::/64; for the single address write 2001:db8::1/128'],
    ['203.0.113.7', "'203.0.113.7' has no prefix length", 'write 203.0.113.7/32 for this single address'],
    ['2001:db8::1', "'2001:db8::1' has no prefix length", 'write 2001:db8::1/128 for this single address'],
    ['203.0.113.0/33', "'33' is not a valid prefix length for an IPv4 range", 'the prefix length is a number from 0 to 32'],
    ['2001:db8::/129', "'129' is not a valid prefix length for an IPv6 range", 'the prefix length is a number from 0 to 128'],
    ['203.0.113.0/024', "'024' is not a valid prefix length for an IPv4 range", undefined],
    ['203.0.113.0/', "'' is not a valid prefix length for an IPv4 range", undefined],
    ['010.0.0.0/8', "'010.0.0.0' is not an IPv4 or IPv6 address", undefined],
    ['256.0.0.0/8', "'256.0.0.0' is not an IPv4 or IPv6 address", undefined],
    ['10.0.0/8', "'10.0.0' is not an IPv4 or IPv6 address", undefined],
    ['2001:db8::1::/64', "'2001:db8::1::' is not an IPv4 or IPv6 address", undefined],
    ['2001:db8:0:0:0:0:0:0:0/64', "'2001:db8:0:0:0:0…' is not an IPv4 or IPv6 address", undefined],
    ['fe80::1%eth0/64', "'fe80::1%eth0' is not an IPv4 or IPv6 address", undefined],
    ['any', "'any' is not a CIDR range", 'write an address range such as 203.0.113.0/24'],
  ])('rejects %s', (text, message, hint) => {
    const result = parseCidr(text);
    expect(result).toMatchObject({ ok: false, message });
    if (hint) expect(result).toMatchObject({ hint });
  });
});
