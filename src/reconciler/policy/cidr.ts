/**
 * CIDR parsing and canonical form, for the ipAddress of an access rule. Azure compares
 * rules textually, so a policy keeps one spelling per range: IPv4 dotted decimal without
 * leading zeros, IPv6 as RFC 5952 (lower case, zeros compressed), host bits clear.
 *
 * IPv4 addresses are parsed by ipaddr.js (its strict four-part decimal form). IPv6 parsing
 * and RFC 5952 printing stay hand-written, because ipaddr.js 1.9.1 disagrees with RFC 4291
 * and RFC 5952 where a policy's meaning depends on it:
 *   - it accepts zone ids (fe80::1%eth0), groups of more than four hex digits (00001::),
 *     an embedded IPv4 address in octal (::ffff:010.0.0.1) and a '::' that stands for no
 *     group at all (1::2:3:4:5:6:7:8);
 *   - it rejects an embedded IPv4 address right after '::' (::1.2.3.4, 1::1.2.3.4);
 *   - its toRFC5952String compresses the later of two equally long runs of zeros when the
 *     first starts the address (0:0:1:0:0:1:1:1 gives 0:0:1::1:1:1, not ::1:0:0:1:1:1).
 * Guarding against each of these would take more code than the parser it replaces.
 */
import ipaddr from 'ipaddr.js';
import { quoteValue } from './quote';

export type CidrCheck =
  | { ok: true; canonical: string; family: 4 | 6; prefixLength: number }
  | { ok: false; message: string; hint?: string };

export function parseCidr(text: string): CidrCheck {
  const slash = text.indexOf('/');
  if (slash < 0) {
    const single = parseAddress(text);
    if (single) {
      const full = single.family === 4 ? 32 : 128;
      return {
        ok: false,
        message: `${quoteValue(text)} has no prefix length`,
        hint: `write ${formatAddress(single.family, single.value)}/${full} for this single address`,
      };
    }
    return { ok: false, message: `${quoteValue(text)} is not a CIDR range`, hint: 'write an address range such as 203.0.113.0/24' };
  }

  const addressText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const address = parseAddress(addressText);
  if (!address) {
    return {
      ok: false,
      message: `${quoteValue(addressText)} is not an IPv4 or IPv6 address`,
      hint: 'write an address range such as 203.0.113.0/24 or 2001:db8::/32',
    };
  }
  const bits = address.family === 4 ? 32 : 128;
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > bits) {
    return {
      ok: false,
      message: `${quoteValue(prefixText)} is not a valid prefix length for an IPv${address.family} range`,
      hint: `the prefix length is a number from 0 to ${bits}`,
    };
  }
  const prefixLength = Number(prefixText);
  const hostMask = (1n << BigInt(bits - prefixLength)) - 1n;
  const network = address.value & ~hostMask;
  const canonical = `${formatAddress(address.family, network)}/${prefixLength}`;
  if (network !== address.value) {
    return {
      ok: false,
      message: `host bits are set in ${text}`,
      hint: `the range is ${canonical}; for the single address write ${formatAddress(address.family, address.value)}/${bits}`,
    };
  }
  return { ok: true, canonical, family: address.family, prefixLength };
}

interface Address {
  family: 4 | 6;
  value: bigint;
}

function parseAddress(text: string): Address | undefined {
  if (text.includes(':')) {
    const value = parseIpv6(text);
    return value === undefined ? undefined : { family: 6, value };
  }
  const value = parseIpv4(text);
  return value === undefined ? undefined : { family: 4, value };
}

function parseIpv4(text: string): bigint | undefined {
  // Four decimal parts, no leading zeros: "010" is octal to some parsers and decimal to others.
  if (!ipaddr.IPv4.isValidFourPartDecimal(text)) return undefined;
  return ipaddr.IPv4.parse(text).octets.reduce((value, octet) => (value << 8n) | BigInt(octet), 0n);
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): number[] | undefined => {
    if (part === '') return [];
    const pieces = part.split(':');
    const groups: number[] = [];
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (v4 === undefined) return undefined;
        groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
        groups.push(parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return groups;
  };
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 2 && head.length + tail.length > 7) return undefined;
  if (halves.length === 1 && head.length !== 8) return undefined;
  const groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  return groups.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}

function formatAddress(family: 4 | 6, value: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
  }
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
