"""pytest and scapy against an XDP program: the verdicts of xdp_guard
(runtime/examples/gtest_xdp/xdp_guard.bpf.c) for packets scapy builds, the reply it makes
of a ping, the sources the host blocks through a map, and its counters. Every test runs
on the interpreter and on the JIT (the `guard` fixture of conftest.py)."""
import socket

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP, IPOption_NOP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import ARP, Dot1Q, Ether

import bpfjit

MAC_A, MAC_B = "02:00:00:00:00:aa", "02:00:00:00:00:bb"


def ipv4(src="10.0.0.5", dst="10.0.0.1", **kw):
    return Ether(src=MAC_A, dst=MAC_B) / IP(src=src, dst=dst, **kw)


VERDICTS = [
    ("telnet", ipv4() / TCP(dport=23), bpfjit.XDP_DROP),
    ("ssh", ipv4() / TCP(dport=22), bpfjit.XDP_PASS),
    ("dns", ipv4() / UDP(dport=53), bpfjit.XDP_PASS),
    ("telnet behind IP options", ipv4(options=[IPOption_NOP()] * 4) / TCP(dport=23),
     bpfjit.XDP_DROP),
    ("ping", ipv4() / ICMP(type="echo-request"), bpfjit.XDP_TX),
    ("pong", ipv4() / ICMP(type="echo-reply"), bpfjit.XDP_PASS),
    ("telnet over IPv6 (IPv4 only)", Ether() / IPv6() / TCP(dport=23), bpfjit.XDP_PASS),
    ("ARP", Ether() / ARP(), bpfjit.XDP_PASS),
    ("VLAN-tagged (not parsed)", Ether() / Dot1Q(vlan=7) / IP() / TCP(dport=23),
     bpfjit.XDP_PASS),
    ("TCP header cut short", bytes(ipv4() / TCP(dport=23))[:14 + 20 + 10], bpfjit.XDP_ABORTED),
    ("IPv4 header cut short", bytes(ipv4() / TCP(dport=23))[:14 + 12], bpfjit.XDP_ABORTED),
]


@pytest.mark.parametrize("packet,verdict", [v[1:] for v in VERDICTS],
                         ids=[v[0] for v in VERDICTS])
def test_verdicts(guard, packet, verdict):
    prog, _ = guard
    res = prog.test_run(bytes(packet))
    assert res.retval == verdict
    if verdict != bpfjit.XDP_TX:
        assert res.data_out == bytes(packet)  # only replies are rewritten


def test_ping_is_answered(guard):
    prog, _ = guard
    request = ipv4(src="192.0.2.7", dst="10.0.0.1") / ICMP(type="echo-request", id=0x1234,
                                                          seq=9) / b"hello"
    res = prog.test_run(bytes(request))
    assert res.retval == bpfjit.XDP_TX
    reply = Ether(res.data_out)
    assert (reply.src, reply.dst) == (MAC_B, MAC_A)
    assert (reply[IP].src, reply[IP].dst) == ("10.0.0.1", "192.0.2.7")
    assert reply[ICMP].type == 0 and (reply[ICMP].id, reply[ICMP].seq) == (0x1234, 9)
    assert bytes(reply[ICMP].payload) == b"hello"
    # Both checksums are what scapy computes for the reply's fields.
    rebuilt = reply.copy()
    del rebuilt[IP].chksum
    del rebuilt[ICMP].chksum
    rebuilt = Ether(bytes(rebuilt))
    assert reply[IP].chksum == rebuilt[IP].chksum
    assert reply[ICMP].chksum == rebuilt[ICMP].chksum


def test_blocked_sources(guard):
    prog, obj = guard
    blocked = obj.map("blocked")
    ssh_from = lambda src: bytes(ipv4(src=src) / TCP(dport=22))  # noqa: E731
    assert prog.test_run(ssh_from("198.51.100.9")).retval == bpfjit.XDP_PASS
    blocked[socket.inet_aton("198.51.100.9")] = 1
    assert prog.test_run(ssh_from("198.51.100.9")).retval == bpfjit.XDP_DROP
    assert prog.test_run(ssh_from("198.51.100.10")).retval == bpfjit.XDP_PASS
    assert list(blocked) == [socket.inet_aton("198.51.100.9")]
    del blocked[socket.inet_aton("198.51.100.9")]
    assert prog.test_run(ssh_from("198.51.100.9")).retval == bpfjit.XDP_PASS


def test_counters(guard):
    prog, obj = guard
    packets = [v[1] for v in VERDICTS]
    for p in packets:
        prog.test_run(bytes(p))
    prog.test_run(bytes(ipv4() / TCP(dport=22)), repeat=10)  # ten runs
    verdicts = obj.map("verdicts")
    expected = [sum(1 for v in VERDICTS if v[2] == action) for action in range(5)]
    expected[bpfjit.XDP_PASS] += 10
    assert [verdicts.lookup_int(action) for action in range(5)] == expected
