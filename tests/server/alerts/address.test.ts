import { describe, expect, it } from "vitest";
import { ipLiteral, isInternalAddress } from "../../../src/server/features/alerts/address";

describe("internal addresses", () => {
  it.each([
    // "this network" 0.0.0.0/8
    ["0.0.0.0", true],
    ["0.255.255.255", true],
    ["1.0.0.0", false],
    // private 10/8
    ["9.255.255.255", false],
    ["10.0.0.0", true],
    ["10.255.255.255", true],
    ["11.0.0.0", false],
    // carrier-grade NAT 100.64/10
    ["100.63.255.255", false],
    ["100.64.0.0", true],
    ["100.127.255.255", true],
    ["100.128.0.0", false],
    // loopback 127/8
    ["126.255.255.255", false],
    ["127.0.0.1", true],
    ["127.255.255.255", true],
    ["128.0.0.0", false],
    // link-local 169.254/16
    ["169.253.255.255", false],
    ["169.254.0.0", true],
    ["169.254.169.254", true],
    ["169.255.0.0", false],
    // private 172.16/12
    ["172.15.255.255", false],
    ["172.16.0.0", true],
    ["172.31.255.255", true],
    ["172.32.0.0", false],
    // IETF protocol assignments and TEST-NET-1 in 192.0.0/24 and 192.0.2/24
    ["192.0.0.1", true],
    ["192.0.1.1", false],
    ["192.0.2.1", true],
    ["192.0.3.0", false],
    // private 192.168/16
    ["192.167.255.255", false],
    ["192.168.0.0", true],
    ["192.168.255.255", true],
    ["192.169.0.0", false],
    // benchmarking 198.18/15 and TEST-NET-2, TEST-NET-3
    ["198.17.255.255", false],
    ["198.18.0.0", true],
    ["198.19.255.255", true],
    ["198.20.0.0", false],
    ["198.51.100.1", true],
    ["203.0.113.1", true],
    ["203.0.114.0", false],
    // multicast 224/4, reserved 240/4 and broadcast
    ["223.255.255.255", false],
    ["224.0.0.0", true],
    ["239.255.255.255", true],
    ["240.0.0.0", true],
    ["255.255.255.255", true],
    // public
    ["8.8.8.8", false],
    ["101.226.129.166", false],
    // IPv6 unspecified, loopback, IPv4-compatible
    ["::", true],
    ["::1", true],
    ["::2", true],
    ["0:0:0:0:0:0:0:1", true],
    // IPv4-mapped: the IPv4 address they carry decides, in either notation
    ["::ffff:10.0.0.1", true],
    ["::ffff:a00:1", true],
    ["::FFFF:127.0.0.1", true],
    ["::ffff:7f00:1", true],
    ["::ffff:169.254.169.254", true],
    ["::ffff:8.8.8.8", false],
    ["::ffff:808:808", false],
    // NAT64: local use is internal, the well-known prefix carries public IPv4 only
    ["64:ff9b:1::1", true],
    ["64:ff9b::808:808", false],
    // discard-only, documentation, 6to4
    ["100::1", true],
    ["2001:db8::1", true],
    ["2001:db9::1", false],
    ["2002:a00:1::1", true],
    // unique-local fc00::/7
    ["fbff:ffff::1", false],
    ["fc00::1", true],
    ["fd12:3456::1", true],
    ["fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true],
    ["fe00::1", false],
    // link-local fe80::/10, with or without a zone, and the deprecated site-local fec0::/10
    ["fe7f:ffff::1", false],
    ["fe80::1", true],
    ["FE80::1", true],
    ["febf:ffff::1", true],
    ["fe80::1%eth0", true],
    ["fec0::1", true],
    ["feff:ffff::1", true],
    // multicast ff00::/8, right above site-local
    ["ff00::", true],
    ["ff02::1", true],
    // public IPv6
    ["2400:3200::1", false],
    ["2001:4860:4860::8888", false],
  ])("%s is internal: %s", (ip, internal) => {
    expect(isInternalAddress(ip)).toBe(internal);
  });

  it.each(["", "localhost", "10.0.0", "10.0.0.256", "010.0.0.1", "0x0a.0.0.1", "2130706433", " 8.8.8.8", "[::1]", "::ffff:1.2.3", "1::2::3", "8.8.8.8%eth0"])(
    "counts malformed input %j as internal (nothing is connected to)",
    (ip) => {
      expect(isInternalAddress(ip)).toBe(true);
    },
  );
});

describe("IP literals in URL host names", () => {
  it.each([
    ["10.0.0.5", "10.0.0.5"],
    ["[::1]", "::1"],
    ["[::ffff:a00:1]", "::ffff:a00:1"],
    ["qyapi.weixin.qq.com", null],
    ["localhost", null],
    ["[not-an-ip]", null],
  ])("reads %s as %s", (hostname, ip) => {
    expect(ipLiteral(hostname)).toBe(ip);
  });
});
