// Which addresses a platform registered through Dynamic Registration may not make this server connect to.
// Expected values from the address registries: RFC 1918 and 6598 (private, shared), RFC 1122 and 5735 (this
// network, loopback), RFC 3927 (link-local), RFC 6890 (IETF protocol assignments 192.0.0.0/24; benchmarking
// 198.18.0.0/15), RFC 4291 (IPv6 loopback, IPv4-compatible and IPv4-mapped), RFC 2765 (IPv4-translated
// ::ffff:0:a.b.c.d), RFC 6052 and 8215 (NAT64 64:ff9b::/96 carries an IPv4 address; 64:ff9b:1::/48 is local use),
// RFC 3056 (6to4 2002:AABB:CCDD:: carries AA.BB.CC.DD), RFC 4193 (unique local), RFC 3879 (site-local).
import { isPrivateAddress } from "../../src/lti/lti.egress.js";

test.each([
  "127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "100.64.0.1", "169.254.169.254", "0.0.0.0", "192.0.0.8", "198.18.0.1", "224.0.0.1", "255.255.255.255",
  "::1", "::", "fe80::1%eth0", "fc00::1", "fd12:3456::1", "fec0::1", "ff02::1",
  "::ffff:127.0.0.1", "::ffff:7f00:1", "::127.0.0.1", "::7f00:1", "::ffff:0:7f00:1", "::ffff:0:10.0.0.1",
  "64:ff9b::a00:1", "64:ff9b::169.254.169.254", "64:ff9b:1::1", "2002:7f00:1::", "2002:a9fe:a9fe::1",
  "not-an-address", "1:2:3:4:5:6:7:8:9", "::ffff:1.2.3.999",
])("%s is refused", (address) => {
  expect(isPrivateAddress(address)).toBe(true);
});

test.each([
  "93.184.216.34", "8.8.8.8", "198.20.0.1", "172.32.0.1", "2606:4700::1111", "2a00:1450:4001:82b::200e",
  "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
])("%s is public", (address) => {
  expect(isPrivateAddress(address)).toBe(false);
});
