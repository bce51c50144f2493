#!/usr/bin/env python3
"""Writes pcap files with a known mix of flows (TCP, UDP, ICMP, another protocol, VLAN
tags, IP options, fragments, non-IPv4 and malformed frames), runs example_xdp_flows on
them and checks its output exactly against the counts computed here from the mix.

usage: xdp_flows_check.py XDP_FLOWS_EXE XDP_FLOWS_OBJ WORKDIR
"""
import ipaddress
import random
import struct
import subprocess
import sys
from pathlib import Path

ETH_IP, ETH_VLAN, ETH_ARP, ETH_IPV6 = 0x0800, 0x8100, 0x0806, 0x86DD
PROTO_NAMES = {1: "icmp", 6: "tcp", 17: "udp"}


def eth(ethertype, vlan=None):
    head = bytes([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2])
    if vlan is not None:
        return head + struct.pack("!HHH", ETH_VLAN, vlan, ethertype)
    return head + struct.pack("!H", ethertype)


def ipv4(proto, src, dst, payload, options=b"", frag_offset=0, version=4, ihl=None):
    ihl = ihl if ihl is not None else 5 + len(options) // 4
    total = 20 + len(options) + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl, 0, total, 1, frag_offset, 64, proto,
                      0, ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed)
    return hdr + options + payload


def l4(proto, sport, dport, size):
    body = bytes(size)
    if proto == 6:
        return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, 0x18, 512, 0, 0) + body
    if proto == 17:
        return struct.pack("!HHHH", sport, dport, 8 + size, 0) + body
    return bytes([8, 0, 0, 0, 0, 1, 0, 1]) + body  # ICMP echo, or any other protocol


def build():
    """Returns the frames (shuffled) and the expected output lines."""
    rng = random.Random(5)
    frames = []  # (bytes, expected flow key or None, outcome)
    flows = [  # proto, src, sport, dst, dport, vlan, ip options
        (6, "10.0.0.1", 40000, "10.0.0.2", 80, None, b""),
        (6, "10.0.0.2", 80, "10.0.0.1", 40000, None, b""),
        (6, "10.0.0.1", 40001, "10.0.0.2", 443, 7, b""),
        (17, "192.168.1.10", 5353, "224.0.0.251", 5353, None, b""),
        (17, "10.9.8.7", 53, "10.0.0.1", 33333, 100, b"\x01\x01\x01\x00"),  # NOPs, EOL
        (6, "172.16.5.4", 22, "172.16.5.9", 61000, None, b"\x01" * 8),
        (1, "10.0.0.1", 0, "8.8.8.8", 0, None, b""),
        (47, "10.1.1.1", 0, "10.2.2.2", 0, None, b""),
        (17, "10.0.0.3", 9999, "10.0.0.4", 7, None, b""),
    ]
    expected = {}
    for proto, src, sport, dst, dport, vlan, opts in flows:
        for _ in range(rng.randrange(1, 40)):
            size = rng.choice([0, 1, 100, 512, 1400])
            frame = eth(ETH_IP, vlan) + ipv4(proto, src, dst, l4(proto, sport, dport, size), opts)
            frames.append((frame, (proto, src, sport, dst, dport), "counted"))
    # Non-first fragments of the last UDP flow carry no ports: counted with ports 0.
    for _ in range(3):
        frame = eth(ETH_IP) + ipv4(17, "10.0.0.3", "10.0.0.4", bytes(200), frag_offset=185)
        frames.append((frame, (17, "10.0.0.3", 0, "10.0.0.4", 0), "counted"))
    # Not IPv4: passed, not counted.
    frames.append((eth(ETH_ARP) + bytes(28), None, "not_ipv4"))
    frames.append((eth(ETH_IPV6) + bytes(60), None, "not_ipv4"))
    frames.append((eth(ETH_ARP, vlan=3) + bytes(28), None, "not_ipv4"))
    # Malformed: dropped, not counted.
    good_tcp = eth(ETH_IP) + ipv4(6, "10.0.0.1", "10.0.0.2", l4(6, 1, 2, 0))
    frames.append((good_tcp[:14 + 12], None, "malformed"))           # IPv4 header cut
    frames.append((good_tcp[:14 + 20 + 2], None, "malformed"))       # ports cut
    frames.append((eth(ETH_IP) + ipv4(6, "10.0.0.1", "10.0.0.2", l4(6, 1, 2, 0), ihl=4),
                   None, "malformed"))                               # header length 16
    frames.append((eth(ETH_IP) + ipv4(17, "10.0.0.1", "10.0.0.2", l4(17, 1, 2, 0), version=6),
                   None, "malformed"))                               # not version 4
    frames.append((eth(ETH_IP, vlan=5)[:15], None, "malformed"))     # VLAN tag cut
    frames.append((bytes(10), None, "malformed"))                    # shorter than Ethernet
    rng.shuffle(frames)

    totals = {"counted": 0, "not_ipv4": 0, "malformed": 0}
    for frame, key, outcome in frames:
        totals[outcome] += 1
        if key is not None:
            packets, nbytes = expected.get(key, (0, 0))
            expected[key] = (packets + 1, nbytes + len(frame))

    def order(k):
        proto, src, sport, dst, dport = k
        return (proto, int(ipaddress.ip_address(src)), sport, int(ipaddress.ip_address(dst)), dport)

    lines = []
    for k in sorted(expected, key=order):
        proto, src, sport, dst, dport = k
        packets, nbytes = expected[k]
        lines.append("{} {}:{} -> {}:{} packets {} bytes {}".format(
            PROTO_NAMES.get(proto, "proto-%d" % proto), src, sport, dst, dport, packets, nbytes))
    lines.append("verdicts pass {} drop {} other 0".format(
        totals["counted"] + totals["not_ipv4"], totals["malformed"]))
    lines.append("totals frames {} counted {} not_ipv4 {} malformed {}".format(
        len(frames), totals["counted"], totals["not_ipv4"], totals["malformed"]))
    return [f for f, _, _ in frames], lines


def pcap(frames, big_endian=False, nanoseconds=False):
    e = ">" if big_endian else "<"
    magic = 0xa1b23c4d if nanoseconds else 0xa1b2c3d4
    out = struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, 65535, 1)
    for i, f in enumerate(frames):
        out += struct.pack(e + "IIII", 1700000000 + i, i * 10, len(f), len(f) + 4) + f
    return out


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def run(exe, obj, path):
    return subprocess.run([exe, obj, str(path)], capture_output=True, text=True, timeout=60)


def main():
    exe, obj, workdir = sys.argv[1:4]
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    frames, expected = build()
    for name, data in [("flows.pcap", pcap(frames)),
                       ("flows-be-ns.pcap", pcap(frames, big_endian=True, nanoseconds=True))]:
        (work / name).write_bytes(data)
        r = run(exe, obj, work / name)
        if r.returncode != 0:
            fail("{}: exit {}: {}".format(name, r.returncode, r.stderr))
        got = r.stdout.splitlines()
        for i, (g, e) in enumerate(zip(got, expected)):
            if g != e:
                fail("{} line {}: got {!r}, expected {!r}".format(name, i + 1, g, e))
        if len(got) != len(expected):
            fail("{}: {} lines, expected {}".format(name, len(got), len(expected)))

    # Broken files are refused with the facts.
    whole = pcap(frames[:3])
    cut = len(whole) - 5
    (work / "cut.pcap").write_bytes(whole[:cut])
    (work / "junk.pcap").write_bytes(b"\x00" * 40)
    for name, msg in [("cut.pcap", "record 3 holds {} bytes, {} are left".format(
                           len(frames[2]), len(frames[2]) - 5)),
                      ("junk.pcap", "magic 0x00000000 is not a pcap file's"),
                      ("missing.pcap", "cannot open")]:
        r = run(exe, obj, work / name)
        if r.returncode != 1 or msg not in r.stderr:
            fail("{}: exit {}, stderr {!r}, expected {!r}".format(name, r.returncode, r.stderr, msg))
    print("ok: {} frames, {} flows".format(len(frames), len(expected) - 2))


if __name__ == "__main__":
    main()
