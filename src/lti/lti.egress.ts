// Where this tool's requests to LMS platforms may connect. A platform an administrator registered through
// LTI Dynamic Registration had its addresses checked at review: none on this machine or a private network.
// Every later connection for it (its keys at launches, tokens, grades, rosters, gradebook columns, and
// whatever address a launch or a redirect names) is checked again when it is made, as a name can resolve
// to a public address at review and to this machine later (DNS rebinding). A platform in LTI_PLATFORMS_FILE
// was registered by whoever runs the server, and may be on the campus network: its connections are not checked.
import dns from "node:dns/promises";
import net from "node:net";
import { createRemoteJWKSet, customFetch } from "jose";
import { Agent, buildConnector, fetch as undiciFetch } from "undici";

/**
 * Addresses a registered platform may not make this server fetch: loopback, private, link-local, unspecified, shared,
 * benchmarking, IETF-reserved, multicast and reserved (IPv4); loopback, unspecified, unique-local, site-local,
 * link-local, multicast and local-use NAT64 (IPv6).
 */
const PRIVATE = new net.BlockList();
for (const [net4, bits] of [["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12], ["192.0.0.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["224.0.0.0", 3]] as const) PRIVATE.addSubnet(net4, bits, "ipv4");
for (const [net6, bits] of [["::", 127], ["fc00::", 7], ["fec0::", 10], ["fe80::", 10], ["ff00::", 8], ["64:ff9b:1::", 48]] as const) PRIVATE.addSubnet(net6, bits, "ipv6");

/** The eight 16-bit groups of an IPv6 address (a zone and a dotted IPv4 tail allowed); null when it is not one. */
function ipv6Groups(address: string): number[] | null {
  let text = address.split("%")[0]!;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    if ([a, b, c, d].some((x) => x > 255)) return null;
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const groups = [...head, ...Array<string>(halves.length === 2 ? 8 - head.length - tail.length : 0).fill("0"), ...tail];
  const values = groups.map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN));
  return values.length === 8 && values.every((v) => !Number.isNaN(v)) ? values : null;
}

/**
 * The IPv4 address an IPv6 address stands for, where it carries one: IPv4-compatible (::a.b.c.d), IPv4-mapped
 * (::ffff:a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d), NAT64 (64:ff9b::a.b.c.d, which a DNS64 gateway connects
 * to that IPv4 address) and 6to4 (2002:AABB:CCDD::).
 */
function embeddedIpv4(g: number[]): string | null {
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && (g[5] === 0 || g[5] === 0xffff)) return v4(g[6]!, g[7]!);
  if (zeros(0, 4) && g[4] === 0xffff && g[5] === 0) return v4(g[6]!, g[7]!);
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return v4(g[6]!, g[7]!);
  if (g[0] === 0x2002) return v4(g[1]!, g[2]!);
  return null;
}

/** Whether an address (IPv4, or IPv6 in any of its forms) is one a registered platform may not reach. */
export function isPrivateAddress(address: string): boolean {
  if (net.isIPv4(address)) return PRIVATE.check(address, "ipv4");
  const groups = ipv6Groups(address);
  if (!groups) return true; // not an address this can read: refused
  const v4 = embeddedIpv4(groups);
  if (v4 !== null && PRIVATE.check(v4, "ipv4")) return true;
  return PRIVATE.check(groups.map((x) => x.toString(16)).join(":"), "ipv6");
}

/** A connection refused: its host is, or resolved to, this machine or a private network when connecting. */
export class PrivateHost extends Error {
  constructor(readonly host: string) {
    super(`${host} is on this server or a private network, which this tool does not connect to for a platform registered through Dynamic Registration`);
  }
}

/** A platform as the egress sees it: `publicOnly` when it came from Dynamic Registration (lti.registry.ts). */
export interface EgressPlatform { publicOnly?: boolean }

export class LtiEgress {
  /** Connections that resolve their host themselves and connect only if every address is public, to those addresses. */
  readonly dispatcher: Agent;

  constructor(private readonly deps: {
    /** Tests only: the fake platforms run on this machine (127.0.0.1): every address (true) or these. Never set in production. */
    allowPrivateHosts?: boolean | string[];
    /** A host's addresses (default: the system's resolver, as connections use it). */
    lookup?: (host: string) => Promise<string[]>;
  } = {}) {
    const lookup = ((hostname: string, options: { family?: number; all?: boolean }, callback: (err: Error | null, address?: string | { address: string; family: number }[], family?: number) => void) => {
      this.resolve(hostname).then((addresses) => {
        if (this.refusesAny(addresses)) return callback(new PrivateHost(hostname));
        const found = addresses.map((address) => ({ address, family: net.isIPv6(address) ? 6 : 4 })).filter((a) => !options.family || a.family === options.family);
        if (!found.length) return callback(Object.assign(new Error(`${hostname} has no ${options.family === 4 || options.family === 6 ? `IPv${options.family} ` : ""}address`), { code: "ENOTFOUND" }));
        if (options.all) callback(null, found);
        else callback(null, found[0]!.address, found[0]!.family);
      }, (err: Error) => callback(err));
    }) as unknown as net.LookupFunction;
    const connectByName = buildConnector({ lookup });
    this.dispatcher = new Agent({
      // An address written as an IP (in a URL, or a redirect's Location) is connected to without a lookup: checked here.
      connect: (opts, callback) => {
        const host = opts.hostname.replace(/^\[|\]$/g, "");
        if (net.isIP(host) && this.refusesAny([host])) return callback(new PrivateHost(host), null);
        return connectByName(opts, callback);
      },
    });
  }

  /** Whether every address may be reached (tests whose fake platforms run on this machine). */
  get allowsEveryAddress(): boolean {
    return this.deps.allowPrivateHosts === true;
  }

  resolve(host: string): Promise<string[]> {
    return (this.deps.lookup ?? (async (h: string) => (await dns.lookup(h, { all: true })).map((a) => a.address)))(host);
  }

  /** Whether any of a host's addresses is one a registered platform may not reach. */
  refusesAny(addresses: string[]): boolean {
    const allowed = this.deps.allowPrivateHosts ?? false;
    return allowed !== true && addresses.some((a) => isPrivateAddress(a) && !(Array.isArray(allowed) && allowed.includes(a)));
  }

  /** The addresses of a URL's host (itself when it is an IP); empty when it has none. */
  async addressesOf(address: string): Promise<string[]> {
    const host = new URL(address).hostname.replace(/^\[|\]$/g, "");
    if (net.isIP(host)) return [host];
    try {
      return await this.resolve(host);
    } catch {
      return [];
    }
  }

  /** A fetch on checked connections (Dynamic Registration's own requests); a connection refused for its address throws PrivateHost. */
  async checkedFetch(url: string | URL, init: NonNullable<Parameters<typeof undiciFetch>[1]> = {}): Promise<Response> {
    try {
      return (await undiciFetch(url, { ...init, dispatcher: this.dispatcher })) as unknown as Response;
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      throw cause instanceof PrivateHost ? cause : err;
    }
  }

  /** A request to `platform` (or to an address it named): on checked connections when it came from Dynamic Registration. */
  fetch(platform: EgressPlatform, url: string | URL, init: RequestInit = {}): Promise<Response> {
    return platform.publicOnly ? this.checkedFetch(url, init as Parameters<typeof undiciFetch>[1]) : fetch(url, init);
  }

  /** The platform's public keys (JWKS), fetched, and fetched again when they change, as `fetch` does for it. */
  keySet(platform: EgressPlatform & { keySetUrl: string }): ReturnType<typeof createRemoteJWKSet> {
    return createRemoteJWKSet(new URL(platform.keySetUrl), { [customFetch]: (url, options) => this.fetch(platform, url, options as RequestInit) });
  }
}

/** A process's egress: checked, except under NODE_ENV=test, where the fake platforms run on this machine. */
export function ltiEgressFor(nodeEnv: string): LtiEgress {
  return new LtiEgress({ allowPrivateHosts: nodeEnv === "test" });
}
