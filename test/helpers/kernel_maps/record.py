#!/usr/bin/env python3
"""Records the kernel's answers to host map operations (the bpf(2) syscall) on the map
types whose semantics bpfjit copies: lpm_trie, devmap, devmap_hash, cpumap and
bloom_filter. A seeded random sequence of creates, updates, lookups, deletes and
get_next_key calls runs against the kernel; each line of the output holds one operation
and the kernel's answer, and test/helpers/maps_more_types_test.cc replays them on bpfjit's
maps (KernelMapOpsTest). Needs root (or CAP_BPF). Usage: record.py > kernel_map_ops.tsv

Lines (tab-separated; keys and values in hex, results as 0 / -errno / hex bytes):
  map   TYPE KEY_SIZE VALUE_SIZE MAX_ENTRIES FLAGS MAP_EXTRA  RESULT   (0 or -errno)
  update KEY VALUE FLAGS RESULT
  lookup KEY RESULT              (the value, or -errno)
  delete KEY RESULT
  next  KEY|- RESULT             (the next key, or -errno)
  push  VALUE FLAGS RESULT       (bloom_filter: BPF_MAP_UPDATE_ELEM with no key)
  peek  VALUE RESULT             (bloom_filter: BPF_MAP_LOOKUP_ELEM with no key: 0/-errno)
"""
import ctypes
import os
import platform
import random
import struct
import sys

SYS_BPF = 321  # x86_64
MAP_CREATE, LOOKUP, UPDATE, DELETE, NEXT = 0, 1, 2, 3, 4
TYPES = {"lpm_trie": 11, "devmap": 14, "cpumap": 16, "devmap_hash": 25, "bloom_filter": 30}

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    r = libc.syscall(SYS_BPF, cmd, buf, 128)
    return r if r >= 0 else -ctypes.get_errno()


def create(type_name, key, value, max_entries, flags, extra=0):
    # map_type, key_size, value_size, max_entries, map_flags, inner_map_fd, numa_node,
    # map_name[16], map_ifindex, btf_fd, btf_key_type_id, btf_value_type_id,
    # btf_vmlinux_value_type_id, map_extra (offset 64)
    attr = struct.pack("<IIIIIII16sIIIII", TYPES[type_name], key, value, max_entries, flags,
                       0, 0, b"", 0, 0, 0, 0, 0)
    attr += b"\0" * (64 - len(attr)) + struct.pack("<Q", extra)
    return bpf(MAP_CREATE, attr)


def elem(cmd, fd, key, value=None, flags=0):
    kbuf = ctypes.create_string_buffer(key, max(len(key), 1)) if key is not None else None
    vbuf = ctypes.create_string_buffer(value, max(len(value), 1)) if value is not None else None
    attr = struct.pack("<IIQQQ", fd, 0, ctypes.addressof(kbuf) if kbuf else 0,
                       ctypes.addressof(vbuf) if vbuf else 0, flags)
    return bpf(cmd, attr), vbuf


class Recorder:
    def __init__(self):
        self.lines = []

    def map(self, type_name, key, value, max_entries, flags, extra=0):
        fd = create(type_name, key, value, max_entries, flags, extra)
        self.lines.append(f"map\t{type_name}\t{key}\t{value}\t{max_entries}\t{flags}\t{extra}"
                          f"\t{0 if fd >= 0 else fd}")
        self.key_size, self.value_size = key, value
        return fd

    def update(self, fd, k, v, flags=0):
        r, _ = elem(UPDATE, fd, k, v, flags)
        self.lines.append(f"update\t{k.hex()}\t{v.hex()}\t{flags}\t{r}")

    def lookup(self, fd, k):
        r, vbuf = elem(LOOKUP, fd, k, b"\0" * self.value_size)
        res = vbuf.raw[:self.value_size].hex() if r == 0 else str(r)
        self.lines.append(f"lookup\t{k.hex()}\t{res}")

    def delete(self, fd, k):
        r, _ = elem(DELETE, fd, k)
        self.lines.append(f"delete\t{k.hex()}\t{r}")

    def next(self, fd, k):
        r, vbuf = elem(NEXT, fd, k, b"\0" * self.key_size)
        res = vbuf.raw[:self.key_size].hex() if r == 0 else str(r)
        self.lines.append(f"next\t{k.hex() if k is not None else '-'}\t{res}")

    def push(self, fd, v, flags=0):
        r, _ = elem(UPDATE, fd, None, v, flags)
        self.lines.append(f"push\t{v.hex()}\t{flags}\t{r}")

    def peek(self, fd, v):
        r, _ = elem(LOOKUP, fd, None, v)
        self.lines.append(f"peek\t{v.hex()}\t{r}")


def lpm_key(rng):
    n = rng.choice([0, 1, 7, 8, 9, 12, 16, 17, 24, 31, 32, 32, 32, 33])
    addr = bytes([10, rng.choice([0, 1, 128, 255]), rng.choice([0, 2, 7]), rng.choice([0, 3])])
    return struct.pack("<I", n) + addr


def record_lpm(rec, rng):
    rec.map("lpm_trie", 8, 4, 4, 0)       # refused: no BPF_F_NO_PREALLOC
    rec.map("lpm_trie", 4, 4, 4, 1)       # refused: no data bytes
    fd = rec.map("lpm_trie", 8, 4, 6, 1)
    for i in range(400):
        op = rng.random()
        k = lpm_key(rng)
        if op < 0.35:
            rec.update(fd, k, struct.pack("<I", i), rng.choice([0, 0, 1, 2, 3]))
        elif op < 0.6:
            rec.lookup(fd, k)
        elif op < 0.75:
            rec.delete(fd, k)
        else:
            rec.next(fd, k if rng.random() < 0.8 else None)
    os.close(fd)


def record_devmaps(rec, rng):
    for type_name, value_size in (("devmap", 4), ("devmap", 8), ("devmap_hash", 4),
                                  ("cpumap", 4), ("cpumap", 8)):
        fd = rec.map(type_name, 4, value_size, 4, 0)
        for _ in range(60):
            op = rng.random()
            k = struct.pack("<I", rng.choice([0, 1, 2, 5] if type_name != "devmap_hash"
                                            else [0, 9, 77, 1000, 4242]))
            if type_name == "cpumap":
                k = struct.pack("<I", rng.choice([0, 1, 4]))  # 4: beyond max_entries
                first = rng.choice([0, 64, 192, 16384, 16385])
            else:
                first = rng.choice([0, 1, 1, 1])  # ifindex 1 (lo) exists everywhere
            v = struct.pack("<I", first) + (struct.pack("<i", rng.choice([0, -1]))
                                            if value_size == 8 else b"")
            if op < 0.4:
                rec.update(fd, k, v, rng.choice([0, 0, 1, 2, 4]))
            elif op < 0.65:
                rec.lookup(fd, k)
            elif op < 0.85:
                rec.delete(fd, k)
            else:
                rec.next(fd, k if rng.random() < 0.8 else None)
        if fd >= 0:
            os.close(fd)


def record_bloom(rec, rng):
    rec.map("bloom_filter", 4, 4, 16, 0)     # refused: a key
    rec.map("bloom_filter", 0, 4, 16, 0, 16)  # refused: map_extra beyond 15
    fd = rec.map("bloom_filter", 0, 8, 64, 0, 3)
    pushed = []
    for _ in range(80):
        v = struct.pack("<Q", rng.getrandbits(64))
        flags = rng.choice([0, 0, 0, 2])
        rec.push(fd, v, flags)
        if rec.lines[-1].endswith("\t0"):
            pushed.append(v)
    # The values pushed test present (no false negatives). Others are not recorded: which
    # of them are false positives depends on the hash functions, not on the semantics.
    for v in pushed:
        rec.peek(fd, v)
    os.close(fd)


def main():
    rng = random.Random(20261205)
    rec = Recorder()
    record_lpm(rec, rng)
    record_devmaps(rec, rng)
    record_bloom(rec, rng)
    print(f"# kernel {platform.release()}; test/helpers/kernel_maps/record.py")
    print("\n".join(rec.lines))


if __name__ == "__main__":
    sys.exit(main())
