"""Python bindings of bpfjit, a userspace eBPF runtime: load objects built by clang, verify
and run their programs on the JIT or the interpreter, read and write their maps.

Pure Python over the C API of libbpfjit.so (ctypes; see _capi.py for how the library is
found: $BPFJIT_LIBRARY, then the path CMake wrote, then the dynamic linker).

    import bpfjit
    rt = bpfjit.Runtime()
    obj = rt.load("xdp_guard.o")              # a path, or the object's bytes
    prog = obj.program("xdp_guard")
    res = prog.test_run(packet, engine="jit")  # prepares on first use (verifier, then JIT)
    res.retval, res.data_out, res.duration_ns
    obj.map("verdicts").lookup_int(1)

Errors are exceptions carrying the C API's message: bpfjit.Error and its subclasses
(LoadError, VerifyError, RunError, NotFoundError, ...), with .code, .code_name, .insn.
"""

import ctypes
import enum
import os
import weakref
from dataclasses import dataclass

from . import _capi
from ._capi import lib

__all__ = [
    "Runtime", "Object", "Program", "Map", "TestRunResult", "VerifyReport", "Engine",
    "Error", "InvalidArgumentError", "DecodeError", "AssembleError", "LoadError",
    "VerifyError", "JitError", "RunError", "NotFoundError", "UnsupportedError", "IoError",
    "ExistsError", "NoSpaceError", "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
    "XDP_REDIRECT", "ANY", "NOEXIST", "EXIST", "version", "library_path",
]

library_path = _capi.library_path

# The kernel's XDP verdicts (enum xdp_action).
XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT = range(5)
# Map update flags (BPF_ANY, BPF_NOEXIST, BPF_EXIST).
ANY, NOEXIST, EXIST = 0, 1, 2


class Engine(enum.IntEnum):
    """Which engine runs a program (bpfjit_engine)."""
    AUTO = 0          # the JIT, falling back to the interpreter
    INTERPRETER = 1
    JIT = 2


def _engine(value):
    if isinstance(value, str):
        try:
            return Engine[value.upper()]
        except KeyError:
            raise ValueError(f"unknown engine {value!r} (auto, interpreter, jit)") from None
    return Engine(value)


# --- Errors --------------------------------------------------------------------------------

class Error(Exception):
    """A failed bpfjit call: .code (the bpfjit_error number), .code_name ("verifier
    error", ...), .message (the C API's facts, "insn 7: ..." when an instruction is named)
    and .insn (the instruction, or None)."""

    def __init__(self, code, message, insn=None):
        super().__init__(message)
        self.code = code
        self.code_name = lib.bpfjit_error_name(code).decode()
        self.message = message
        self.insn = insn

    def __str__(self):
        return self.message


class InvalidArgumentError(Error, ValueError):
    """BPFJIT_ERR_INVALID_ARGUMENT: the caller passed something unusable."""


class DecodeError(Error):
    """BPFJIT_ERR_DECODE: the bytes are not a valid eBPF program."""


class AssembleError(Error):
    """BPFJIT_ERR_ASSEMBLE."""


class LoadError(Error):
    """BPFJIT_ERR_LOAD: the object could not be loaded."""


class VerifyError(Error):
    """BPFJIT_ERR_VERIFY: the verifier refused the program."""


class JitError(Error):
    """BPFJIT_ERR_JIT."""


class RunError(Error):
    """BPFJIT_ERR_RUNTIME: the program stopped with a fault while running."""


class NotFoundError(Error, KeyError):
    """BPFJIT_ERR_NOT_FOUND: no such program, map or key."""


class UnsupportedError(Error):
    """BPFJIT_ERR_UNSUPPORTED."""


class IoError(Error, OSError):
    """BPFJIT_ERR_IO: a file could not be read."""


class ExistsError(Error):
    """BPFJIT_ERR_EXISTS: a NOEXIST update found the key present."""


class NoSpaceError(Error):
    """BPFJIT_ERR_NO_SPACE: a map is full, an index is beyond its entries, or an output
    buffer was too small."""


_ERRORS = {1: InvalidArgumentError, 2: DecodeError, 3: AssembleError, 4: LoadError,
           5: VerifyError, 6: JitError, 7: RunError, 8: NotFoundError, 9: UnsupportedError,
           10: IoError, 11: ExistsError, 12: NoSpaceError}
_NO_INSN = 0xFFFFFFFF


def _error(code):
    message = (lib.bpfjit_last_error_message() or b"").decode(errors="replace")
    insn = lib.bpfjit_last_error_insn()
    cls = _ERRORS.get(code, Error)
    return cls(code, message or lib.bpfjit_error_name(code).decode(),
               None if insn == _NO_INSN else insn)


def _check(code):
    if code != 0:
        raise _error(code)


def _str(p):
    return p.decode() if p is not None else None


def version():
    """The library's version, "MAJOR.MINOR.PATCH"."""
    return lib.bpfjit_version().decode()


# --- Runtime and objects -------------------------------------------------------------------

class _Closable:
    """close() on leaving a `with` block and when garbage-collected."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


class Runtime(_Closable):
    """The runtime: built-in helpers and program types. It outlives the objects it loads
    (each holds a reference to it); close() or a `with` block closes them first. An object
    is destroyed when the last reference to it (or to one of its programs or maps) goes."""

    def __init__(self):
        handle = ctypes.c_void_p()
        _check(lib.bpfjit_runtime_create(ctypes.byref(handle)))
        self._handle = handle
        self._objects = weakref.WeakSet()

    def set_map_memory_limit(self, limit):
        """Caps the bytes the maps this runtime creates may hold together (0: no limit)."""
        self._require_open()
        _check(lib.bpfjit_runtime_set_map_memory_limit(self._handle, limit))

    @property
    def map_memory_used(self):
        """The bytes charged by this runtime's live maps."""
        self._require_open()
        return lib.bpfjit_runtime_map_memory_used(self._handle)

    def load(self, source, program_type=None):
        """Loads an ELF object from a path (str or os.PathLike) or from its bytes.
        `program_type` gives every program that type ("xdp", "sched_cls", ...) instead of
        the one its section implies."""
        self._require_open()
        settings = None
        if program_type is not None:
            settings = _capi.LoadSettings(program_type=program_type.encode())
        handle = ctypes.c_void_p()
        sp = ctypes.byref(settings) if settings is not None else None
        if isinstance(source, (bytes, bytearray, memoryview)):
            data = bytes(source)
            _check(lib.bpfjit_load_bytes(self._handle, data, len(data), sp,
                                         ctypes.byref(handle)))
        else:
            path = os.fsencode(source)
            _check(lib.bpfjit_load_file(self._handle, path, sp, ctypes.byref(handle)))
        obj = Object(self, handle)
        self._objects.add(obj)
        return obj

    def close(self):
        """Destroys every object this runtime loaded, then the runtime."""
        if self._handle is None:
            return
        for obj in list(self._objects):
            obj.close()
        self._objects.clear()
        lib.bpfjit_runtime_destroy(self._handle)
        self._handle = None

    def _require_open(self):
        if self._handle is None:
            raise InvalidArgumentError(1, "the runtime is closed")


class Object(_Closable):
    """A loaded object: its programs and maps (which live as long as the object)."""

    def __init__(self, runtime, handle):
        self._runtime = runtime
        self._handle = handle
        self._children = {}

    def _require_open(self):
        if self._handle is None:
            raise InvalidArgumentError(1, "the object is closed")
        return self._handle

    def program(self, name):
        """The program whose function name (else section name) is `name`;
        NotFoundError otherwise."""
        return self._find(lib.bpfjit_object_program, Program, name)

    @property
    def programs(self):
        """Every program, in section and symbol order."""
        return self._all(lib.bpfjit_object_program_count, lib.bpfjit_object_program_at, Program)

    def map(self, name):
        """The map called `name`; NotFoundError otherwise."""
        return self._find(lib.bpfjit_object_map, Map, name)

    @property
    def maps(self):
        """Every map, in definition order."""
        return self._all(lib.bpfjit_object_map_count, lib.bpfjit_object_map_at, Map)

    def _find(self, c_find, cls, name):
        handle = ctypes.c_void_p()
        _check(c_find(self._require_open(), name.encode(), ctypes.byref(handle)))
        return self._wrap(cls, handle)

    def _all(self, c_count, c_at, cls):
        h = self._require_open()
        return [self._wrap(cls, ctypes.c_void_p(c_at(h, i))) for i in range(c_count(h))]

    def _wrap(self, cls, handle):
        """One Python object per program or map handle."""
        return self._children.setdefault((cls, handle.value), cls(self, handle))

    def variable(self, name):
        """A copy of the bytes of the global variable `name` (.data, .rodata, .bss)."""
        data = ctypes.c_void_p()
        size = ctypes.c_size_t()
        _check(lib.bpfjit_object_variable(self._require_open(), name.encode(),
                                          ctypes.byref(data), ctypes.byref(size)))
        return ctypes.string_at(data, size.value)

    def close(self):
        """Destroys the object; its programs and maps can no longer be used."""
        if self._handle is None:
            return
        lib.bpfjit_object_destroy(self._handle)
        self._handle = None


@dataclass
class TestRunResult:
    """What Program.test_run gives back: those of the kernel's BPF_PROG_TEST_RUN."""
    __test__ = False  # not a pytest test class

    retval: int        # r0 of the last run, 32 bits, as the kernel reports it
    r0: int            # r0 of the last run, whole
    data_out: bytes    # the packet as the program left it (xdp: from data_meta)
    ctx_out: bytes     # the context struct back (xdp: struct xdp_md), or b""
    duration_ns: int   # the mean time of one run
    # The redirect the last run asked for: None, or (kind, target, map, key, flags) with
    # kind "ifindex", "cpu" or "xsk" and map None for bpf_redirect.
    redirect: tuple = None


@dataclass
class VerifyReport:
    """The verifier's conclusions about a program."""
    accepted: bool
    errors: list       # [(insn or None, message)], the first is the main one
    insns_processed: int
    peak_memory_bytes: int = 0  # the verifier's peak state memory (an estimate)


# Room for data_out and ctx_out: an xdp frame is at most 4096 bytes, an skb's data_out at
# most a few more than its packet, the largest context struct (__sk_buff) 192 bytes.
_DATA_OUT_SLACK = 4096
_CTX_OUT_SIZE = 1024


class _Part:
    """A program or map: a handle that lives as long as its object."""

    def __init__(self, obj, handle):
        self._object = obj
        self._handle = handle

    def _h(self):
        self._object._require_open()
        return self._handle


def _c_property(c_fn, doc=None, convert=None):
    """A read-only attribute that is c_fn(handle), converted."""
    def get(self):
        value = c_fn(self._h())
        return convert(value) if convert is not None else value
    return property(get, doc=doc)


class Program(_Part):
    """One program of an object. test_run() prepares it on first use."""

    def __init__(self, obj, handle):
        super().__init__(obj, handle)
        self._engine = None  # the engine of the last prepare

    name = _c_property(lib.bpfjit_program_name, convert=_str)
    section = _c_property(lib.bpfjit_program_section, convert=_str)
    type = _c_property(lib.bpfjit_program_type_name, convert=_str,
                       doc='Its program type\'s name ("xdp", "sched_cls", "mem", ...).')
    insn_count = _c_property(lib.bpfjit_program_insn_count)
    prepared = _c_property(lib.bpfjit_program_prepared, convert=bool)
    engine_name = _c_property(lib.bpfjit_program_engine_name, convert=_str,
                              doc='"interpreter", "jit (trusted)", "jit (checked)" or '
                                  '"unprepared".')

    def prepare(self, engine=Engine.AUTO, checked=False, harden=False):
        """Verifies the program (unless `checked`: every access is then checked at run
        time) and translates it for `engine` ("auto", "interpreter", "jit" or an Engine).
        VerifyError carries the verifier's reason and instruction."""
        engine = _engine(engine)
        opts = _capi.PrepareOptions(engine=int(engine), safety=1 if checked else 0,
                                    harden=harden)
        _check(lib.bpfjit_program_prepare(self._h(), ctypes.byref(opts)))
        self._engine = engine

    def verify(self):
        """Runs the verifier alone and returns its VerifyReport (a refusal is no error)."""
        report = ctypes.c_void_p()
        _check(lib.bpfjit_program_verify(self._h(), None, ctypes.byref(report)))
        try:
            errors = []
            for i in range(lib.bpfjit_verify_report_error_count(report)):
                insn = lib.bpfjit_verify_report_error_insn(report, i)
                message = lib.bpfjit_verify_report_error_message(report, i)
                errors.append((None if insn == _NO_INSN else insn, _str(message)))
            return VerifyReport(bool(lib.bpfjit_verify_report_accepted(report)), errors,
                                lib.bpfjit_verify_report_insns_processed(report),
                                lib.bpfjit_verify_report_peak_memory(report))
        finally:
            lib.bpfjit_verify_report_destroy(report)

    def _ensure_prepared(self, engine):
        if engine is not None:
            engine = _engine(engine)
            if engine != self._engine or not self.prepared:
                self.prepare(engine)
        elif not self.prepared:
            self.prepare()

    def test_run(self, data, ctx=None, repeat=1, engine=None):
        """Runs the program as the kernel's BPF_PROG_TEST_RUN does (xdp and tc programs on
        a packet, with the kernel's frame and context) and returns a TestRunResult.
        `ctx` is the kernel's context struct as bytes (xdp: struct xdp_md), `repeat` runs
        it that many times (each on what the previous left), `engine` prepares it for
        that engine first (by default it is prepared on first use, on "auto")."""
        self._ensure_prepared(engine)
        data = bytes(data)
        out = ctypes.create_string_buffer(len(data) + _DATA_OUT_SLACK)
        ctx_out = ctypes.create_string_buffer(_CTX_OUT_SIZE)
        run = _capi.TestRun()
        run.data_in = ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p)
        run.data_size_in = len(data)
        if ctx is not None:
            ctx = bytes(ctx)
            run.ctx_in = ctypes.cast(ctypes.c_char_p(ctx), ctypes.c_void_p)
            run.ctx_size_in = len(ctx)
        run.repeat = repeat
        run.data_out = ctypes.cast(out, ctypes.c_void_p)
        run.data_size_out = len(out)
        run.ctx_out = ctypes.cast(ctx_out, ctypes.c_void_p)
        run.ctx_size_out = len(ctx_out)
        _check(lib.bpfjit_program_test_run(self._h(), ctypes.byref(run)))
        redirect = None
        if run.redirect_kind != 0:
            kind = {1: "ifindex", 2: "cpu", 3: "xsk"}.get(run.redirect_kind, str(run.redirect_kind))
            redirect = (kind, run.redirect_target,
                        run.redirect_map.decode() if run.redirect_map else None,
                        run.redirect_key, run.redirect_flags)
        return TestRunResult(run.retval, run.r0, out.raw[:run.data_size_out],
                             ctx_out.raw[:run.ctx_size_out], run.duration_ns, redirect)

    def __repr__(self):
        return f"<bpfjit.Program {self.name} ({self.type}, {self.engine_name})>"


# --- Maps ----------------------------------------------------------------------------------

class Map(_Part):
    """A map of an object. Keys and values are bytes of the map's sizes; an int is taken
    as a little-endian unsigned number of that size. Lookups give bytes (lookup_int an
    int). `m[key]`, `m[key] = value`, `del m[key]`, `key in m`, iteration over keys and
    items() work as for a dict; a missing key raises NotFoundError (a KeyError)."""

    name = _c_property(lib.bpfjit_map_name, convert=_str)
    type = _c_property(lib.bpfjit_map_get_type,
                       doc="The kernel's BPF_MAP_TYPE_* number (1 hash, 2 array, ...).")
    key_size = _c_property(lib.bpfjit_map_key_size)
    value_size = _c_property(lib.bpfjit_map_value_size)
    max_entries = _c_property(lib.bpfjit_map_max_entries)
    value_bytes = _c_property(lib.bpfjit_map_value_bytes,
                              doc="Bytes of a value buffer: value_size, or one slot per CPU "
                                  "for per-CPU maps.")

    @staticmethod
    def _bytes(v, size, what):
        if isinstance(v, int):
            try:
                return v.to_bytes(size, "little")
            except OverflowError:
                raise InvalidArgumentError(1, f"{what} {v} does not fit in {size} bytes") \
                    from None
        return bytes(v)

    def lookup(self, key):
        """The value of `key`, as bytes; NotFoundError when there is none."""
        k = self._bytes(key, self.key_size, "key")
        out = ctypes.create_string_buffer(self.value_bytes)
        _check(lib.bpfjit_map_lookup(self._h(), k, len(k), out, len(out)))
        return out.raw

    def lookup_int(self, key, signed=False):
        """The value of `key` as a little-endian integer."""
        return int.from_bytes(self.lookup(key), "little", signed=signed)

    def get(self, key, default=None):
        """The value of `key`, or `default`."""
        try:
            return self.lookup(key)
        except NotFoundError:
            return default

    def update(self, key, value, flags=ANY):
        """Creates or replaces the value of `key` (flags ANY, NOEXIST, EXIST)."""
        k = self._bytes(key, self.key_size, "key")
        v = self._bytes(value, self.value_bytes, "value")
        _check(lib.bpfjit_map_update(self._h(), k, len(k), v, len(v), flags))

    def delete(self, key):
        """Deletes `key`; NotFoundError when it is absent."""
        k = self._bytes(key, self.key_size, "key")
        _check(lib.bpfjit_map_delete(self._h(), k, len(k)))

    def keys(self):
        """The keys, in the map's iteration order (a list)."""
        h = self._h()
        size = self.key_size
        keys = []
        prev = None
        while True:
            nxt = ctypes.create_string_buffer(size)
            code = lib.bpfjit_map_next_key(h, prev, 0 if prev is None else size, nxt, size)
            if code == 8:  # BPFJIT_ERR_NOT_FOUND: the last key
                return keys
            _check(code)
            prev = nxt.raw
            keys.append(prev)

    def items(self):
        """(key, value) pairs as bytes (keys deleted meanwhile are skipped)."""
        pairs = []
        for k in self.keys():
            v = self.get(k)
            if v is not None:
                pairs.append((k, v))
        return pairs

    def __iter__(self):
        return iter(self.keys())

    def __getitem__(self, key):
        return self.lookup(key)

    def __setitem__(self, key, value):
        self.update(key, value)

    def __delitem__(self, key):
        self.delete(key)

    def __contains__(self, key):
        return self.get(key) is not None

    def __repr__(self):
        return f"<bpfjit.Map {self.name} type {self.type}>"
