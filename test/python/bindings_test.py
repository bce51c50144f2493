"""The Python bindings (runtime/python/bpfjit) over the C API: loading, test runs on both
engines, maps, errors as exceptions with the C API's message, the structs' layout against
the C compiler's, and how the library is found.

Environment (set by test/python/python_tests.cmake): PYTHONPATH (the package),
BPFJIT_BPF_PROGS_DIR, BPFJIT_EXAMPLES_BPF_DIR, BPFJIT_ABI_LAYOUT (the abi_layout program),
BPFJIT_EXPECTED_VERSION.
"""

import ctypes
import gc
import os
import subprocess
import sys
import unittest

import bpfjit
from bpfjit import _capi

PROGS = os.environ["BPFJIT_BPF_PROGS_DIR"]
EXAMPLES = os.environ["BPFJIT_EXAMPLES_BPF_DIR"]
ENGINES = ("interpreter", "jit")


def prog(name):
    return os.path.join(PROGS, name)


def tcp_packet(dport, src=5):
    """An IPv4 TCP packet 10.0.0.src -> 10.0.0.1 to dport (no checksums)."""
    eth = bytes([2, 0, 0, 0, 0, 0xbb, 2, 0, 0, 0, 0, 0xaa, 0x08, 0x00])
    ip = bytes([0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, src, 10, 0, 0, 1])
    tcp = bytes([0x9c, 0x40]) + dport.to_bytes(2, "big") + bytes(8) + bytes([0x50]) + bytes(7)
    return eth + ip + tcp


class LayoutTest(unittest.TestCase):
    """ctypes' structs are laid out as the C compiler lays out bpfjit.h's."""

    def test_structs_match_the_c_header(self):
        out = subprocess.run([os.environ["BPFJIT_ABI_LAYOUT"]], check=True,
                             capture_output=True, text=True).stdout
        c = {}
        for line in out.splitlines():
            name, what, value = line.split()
            c[(name, what)] = int(value)
        checked = 0
        for struct_name, cls in _capi.STRUCTS.items():
            self.assertEqual(ctypes.sizeof(cls), c[(struct_name, "size")], struct_name)
            c_fields = {n.split(".", 1)[1] for (n, w) in c if n.startswith(struct_name + ".")}
            self.assertEqual({f for f, _ in cls._fields_}, c_fields, struct_name)
            for field, _ in cls._fields_:
                self.assertEqual(getattr(cls, field).offset,
                                 c[(f"{struct_name}.{field}", "offset")],
                                 f"{struct_name}.{field}")
                checked += 1
        self.assertGreaterEqual(checked, 30)


class LoadTest(unittest.TestCase):
    def setUp(self):
        self.rt = bpfjit.Runtime()

    def tearDown(self):
        self.rt.close()

    def test_version(self):
        self.assertEqual(bpfjit.version(), os.environ["BPFJIT_EXPECTED_VERSION"])

    def test_load_from_path_and_from_bytes(self):
        from_path = self.rt.load(prog("xdp_filter.v4.o"))
        with open(prog("xdp_filter.v4.o"), "rb") as f:
            from_bytes = self.rt.load(f.read())
        for obj in (from_path, from_bytes):
            self.assertEqual([p.name for p in obj.programs], ["xdp_filter"])
            self.assertEqual(sorted(m.name for m in obj.maps), ["blocked_src", "stats"])
            p = obj.program("xdp_filter")
            self.assertEqual((p.section, p.type), ("xdp", "xdp"))
            self.assertGreater(p.insn_count, 50)
            self.assertFalse(p.prepared)
            self.assertEqual(p.engine_name, "unprepared")

    def test_program_type_setting(self):
        obj = self.rt.load(prog("socket_filter.v4.o"), program_type="mem")
        self.assertEqual(obj.programs[0].type, "mem")

    def test_variables(self):
        obj = self.rt.load(prog("globals.v4.o"))
        self.assertEqual(int.from_bytes(obj.variable("base"), "little"), 1000)
        with self.assertRaises(bpfjit.NotFoundError):
            obj.variable("no_such_variable")


class TestRunTest(unittest.TestCase):
    def setUp(self):
        self.rt = bpfjit.Runtime()
        self.obj = self.rt.load(prog("xdp_filter.v4.o"))
        self.prog = self.obj.program("xdp_filter")

    def tearDown(self):
        self.rt.close()

    def test_verdicts_packets_and_maps_on_both_engines(self):
        for engine in ENGINES:
            with self.subTest(engine=engine):
                telnet = tcp_packet(23)
                res = self.prog.test_run(telnet, engine=engine)
                self.assertEqual(self.prog.engine_name,
                                 "jit (trusted)" if engine == "jit" else "interpreter")
                self.assertEqual(res.retval, bpfjit.XDP_DROP)
                self.assertEqual(res.r0, bpfjit.XDP_DROP)
                self.assertEqual(res.data_out, telnet)
                # struct xdp_md back: data 0, data_end the packet's length
                self.assertEqual(len(res.ctx_out), 24)
                self.assertEqual(int.from_bytes(res.ctx_out[0:4], "little"), 0)
                self.assertEqual(int.from_bytes(res.ctx_out[4:8], "little"), len(telnet))
                self.assertGreater(res.duration_ns, 0)
                self.assertEqual(self.prog.test_run(tcp_packet(22)).retval, bpfjit.XDP_PASS)
        stats = self.obj.map("stats")  # STAT_IPV4 0, STAT_TCP 2, STAT_DROP 4
        self.assertEqual(stats.lookup_int(0), 4)
        self.assertEqual(stats.lookup_int(4), 2)

    def test_repeat_and_ctx(self):
        adjust = self.rt.load(prog("xdp_adjust.v4.o")).program("xdp_adjust")
        # As test/capi's test_run: 8 bytes of metadata, then a packet whose first bytes
        # steer the program (head +2, tail -4).
        data = bytes([0xee] * 8) + bytes([0, 2, 0xff, 8]) + bytes(range(4, 64))
        ctx = (8).to_bytes(4, "little") + len(data).to_bytes(4, "little") + bytes(16)
        for engine in ENGINES:
            with self.subTest(engine=engine):
                res = adjust.test_run(data, ctx=ctx, engine=engine)
                self.assertEqual(res.retval, 0)
                self.assertEqual(len(res.data_out), 8 + 58)
                self.assertEqual(res.data_out[:4], bytes([0, 2, 0xff, 8]))
                self.assertEqual(int.from_bytes(res.ctx_out[4:8], "little"), 8 + 58)
        counted = self.prog.test_run(tcp_packet(22), repeat=5)
        self.assertEqual(counted.retval, bpfjit.XDP_PASS)
        self.assertEqual(self.obj.map("stats").lookup_int(2), 5)

    def test_tc_program(self):
        tc = self.rt.load(prog("tc_nat.v4.o")).program("tc_nat")
        arp = bytes(12) + b"\x08\x06" + bytes(46)
        for engine in ENGINES:
            with self.subTest(engine=engine):
                self.assertEqual(tc.test_run(arp, engine=engine).retval, 0xFFFFFFFF)

    def test_prepared_on_first_use(self):
        self.assertEqual(self.prog.test_run(tcp_packet(22)).retval, bpfjit.XDP_PASS)
        self.assertTrue(self.prog.prepared)
        self.prog.prepare(bpfjit.Engine.INTERPRETER)
        self.prog.test_run(tcp_packet(22))
        self.assertEqual(self.prog.engine_name, "interpreter")  # not prepared again

    def test_a_program_keeps_its_object(self):
        p = self.rt.load(prog("xdp_filter.v4.o")).program("xdp_filter")
        gc.collect()
        self.assertEqual(p.test_run(tcp_packet(23)).retval, bpfjit.XDP_DROP)


class MapTest(unittest.TestCase):
    def setUp(self):
        self.rt = bpfjit.Runtime()
        self.obj = self.rt.load(prog("xdp_filter.v4.o"))
        self.blocked = self.obj.map("blocked_src")  # hash: __be32 -> u8
        self.stats = self.obj.map("stats")          # array[6] of u64

    def tearDown(self):
        self.rt.close()

    def test_shape(self):
        m = self.blocked
        self.assertEqual((m.type, m.key_size, m.value_size, m.max_entries, m.value_bytes),
                         (1, 4, 1, 64, 1))
        self.assertEqual(self.stats.type, 2)

    def test_update_lookup_delete_iterate(self):
        src = bytes([10, 0, 0, 5])
        self.assertNotIn(src, self.blocked)
        self.assertIsNone(self.blocked.get(src))
        self.blocked.update(src, b"\x01")
        self.blocked[bytes([10, 0, 0, 6])] = 2
        self.assertEqual(self.blocked.lookup(src), b"\x01")
        self.assertEqual(self.blocked[bytes([10, 0, 0, 6])], b"\x02")
        self.assertEqual(sorted(self.blocked.items()),
                         [(src, b"\x01"), (bytes([10, 0, 0, 6]), b"\x02")])
        self.assertEqual(sorted(self.blocked), [src, bytes([10, 0, 0, 6])])
        # The program sees what the host wrote.
        res = self.obj.program("xdp_filter").test_run(tcp_packet(22, src=5))
        self.assertEqual(res.retval, bpfjit.XDP_DROP)
        del self.blocked[src]
        self.blocked.delete(bytes([10, 0, 0, 6]))
        self.assertEqual(self.blocked.keys(), [])
        res = self.obj.program("xdp_filter").test_run(tcp_packet(22, src=5))
        self.assertEqual(res.retval, bpfjit.XDP_PASS)

    def test_integers_as_keys_and_values(self):
        self.stats.update(3, 12345)
        self.assertEqual(self.stats.lookup(3), (12345).to_bytes(8, "little"))
        self.assertEqual(self.stats.lookup_int(3), 12345)
        self.stats[1] = (1 << 64) - 1
        self.assertEqual(self.stats.lookup_int(1, signed=True), -1)
        self.assertEqual(len(self.stats.keys()), 6)

    def test_flags(self):
        self.blocked.update(7, 1, bpfjit.NOEXIST)
        with self.assertRaises(bpfjit.ExistsError):
            self.blocked.update(7, 1, bpfjit.NOEXIST)
        self.blocked.update(7, 3, bpfjit.EXIST)
        self.assertEqual(self.blocked[7], b"\x03")
        with self.assertRaises(bpfjit.NotFoundError):
            self.blocked.update(8, 1, bpfjit.EXIST)

    def test_errors(self):
        with self.assertRaises(KeyError) as e:
            self.blocked[9]
        self.assertIsInstance(e.exception, bpfjit.NotFoundError)
        with self.assertRaises(bpfjit.NotFoundError):
            del self.blocked[9]
        with self.assertRaises(bpfjit.InvalidArgumentError) as e:
            self.blocked.lookup(b"\x01\x02")  # 2 bytes for a 4-byte key
        self.assertTrue(e.exception.message, "the C API's message is carried")
        with self.assertRaises(bpfjit.InvalidArgumentError) as e:
            self.blocked.update(1, 256)  # a value of 1 byte
        self.assertIn("256 does not fit in 1 bytes", str(e.exception))
        with self.assertRaises(bpfjit.InvalidArgumentError):
            self.stats.delete(0)  # arrays cannot delete
        with self.assertRaises(bpfjit.NoSpaceError):
            self.stats.update(6, 0)  # beyond max_entries


class ErrorTest(unittest.TestCase):
    def setUp(self):
        self.rt = bpfjit.Runtime()

    def tearDown(self):
        self.rt.close()

    def test_missing_file(self):
        with self.assertRaises(bpfjit.IoError) as e:
            self.rt.load("/nonexistent/x.o")
        self.assertIn("/nonexistent/x.o", str(e.exception))
        self.assertEqual(e.exception.code, 10)
        self.assertEqual(e.exception.code_name, bpfjit._capi.lib.bpfjit_error_name(10).decode())
        self.assertIsNone(e.exception.insn)

    def test_not_an_object(self):
        with self.assertRaises(bpfjit.LoadError) as e:
            self.rt.load(b"not an ELF file")
        self.assertTrue(str(e.exception))
        self.assertIsInstance(e.exception, bpfjit.Error)

    def test_no_such_program_or_map(self):
        obj = self.rt.load(prog("xdp_filter.v4.o"))
        with self.assertRaises(bpfjit.NotFoundError) as e:
            obj.program("nope")
        self.assertIn("nope", str(e.exception))
        with self.assertRaises(bpfjit.NotFoundError) as e:
            obj.map("nope_map")
        self.assertIn("nope_map", str(e.exception))

    def test_verifier_refusal(self):
        p = self.rt.load(os.path.join(EXAMPLES, "xdp_guard_refused.o")).program("xdp_guard")
        with self.assertRaises(bpfjit.VerifyError) as e:
            p.prepare()
        err = e.exception
        self.assertIsNotNone(err.insn)
        self.assertTrue(str(err).startswith(f"insn {err.insn}: "), str(err))
        self.assertIn("packet access", str(err))
        self.assertFalse(p.prepared)
        with self.assertRaises(bpfjit.VerifyError):
            p.test_run(bytes(64))
        report = p.verify()
        self.assertFalse(report.accepted)
        self.assertEqual(report.errors[0][0], err.insn)
        self.assertGreater(report.insns_processed, 0)
        ok = self.rt.load(prog("xdp_filter.v4.o")).program("xdp_filter").verify()
        self.assertEqual((ok.accepted, ok.errors), (True, []))

    def test_map_memory_limit(self):
        self.assertEqual(self.rt.map_memory_used, 0)
        obj = self.rt.load(prog("xdp_filter.v4.o"))
        used = self.rt.map_memory_used
        self.assertGreater(used, 0)
        self.rt.set_map_memory_limit(used + 1)
        with self.assertRaises(bpfjit.LoadError) as e:
            self.rt.load(prog("xdp_filter.v4.o"))
        self.assertIn(f"the runtime's map memory limit is {used + 1} bytes and {used} are in use",
                      str(e.exception))
        self.assertEqual(self.rt.map_memory_used, used)
        del obj
        gc.collect()
        self.assertEqual(self.rt.map_memory_used, 0)
        self.rt.set_map_memory_limit(0)
        again = self.rt.load(prog("xdp_filter.v4.o"))
        self.assertEqual(self.rt.map_memory_used, used)
        del again
        self.assertGreater(self.rt.load(prog("xdp_filter.v4.o")).program("xdp_filter")
                           .verify().peak_memory_bytes, 0)

    def test_run_refused(self):
        p = self.rt.load(prog("xdp_filter.v4.o")).program("xdp_filter")
        with self.assertRaises(bpfjit.InvalidArgumentError) as e:
            p.test_run(bytes(13))  # shorter than an Ethernet header, as the kernel refuses
        self.assertIn("13 bytes", str(e.exception))

    def test_unknown_engine(self):
        p = self.rt.load(prog("xdp_filter.v4.o")).program("xdp_filter")
        with self.assertRaises(ValueError):
            p.prepare("turbo")

    def test_closed(self):
        obj = self.rt.load(prog("xdp_filter.v4.o"))
        p = obj.program("xdp_filter")
        m = obj.map("stats")
        self.rt.close()
        with self.assertRaises(bpfjit.InvalidArgumentError):
            p.test_run(tcp_packet(22))
        with self.assertRaises(bpfjit.InvalidArgumentError):
            m.lookup(0)
        with self.assertRaises(bpfjit.InvalidArgumentError):
            self.rt.load(prog("xdp_filter.v4.o"))


class LibraryTest(unittest.TestCase):
    """$BPFJIT_LIBRARY chooses the library; a wrong one is an ImportError that says so."""

    def run_python(self, env_library):
        env = dict(os.environ)
        env["BPFJIT_LIBRARY"] = env_library
        return subprocess.run([sys.executable, "-c", "import bpfjit; print(bpfjit.library_path)"],
                              env=env, capture_output=True, text=True)

    def test_environment_variable(self):
        r = self.run_python(bpfjit.library_path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), bpfjit.library_path)
        r = self.run_python("/nonexistent/libbpfjit.so")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ImportError: bpfjit: cannot load libbpfjit: /nonexistent/libbpfjit.so "
                      "($BPFJIT_LIBRARY)", r.stderr)


if __name__ == "__main__":
    unittest.main()
