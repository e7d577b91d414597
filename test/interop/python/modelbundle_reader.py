#!/usr/bin/python3
"""A second, independent reader of modelbundle files (format 1), written from
docs/FORMAT.md with the Python standard library and `msgpack` (numpy is
optional: it is needed only for tfjs weights and predictions).

It inspects a bundle (prefix and header only), verifies it completely (every
rule of docs/FORMAT.md section 11, in that order, and every digest), checks
an Ed25519 signature against trusted keys, lists its sections, reads the weights of a tfjs layers model as numpy arrays, and
predicts with a dense sequential tfjs model.

Errors are ModelBundleError with the same `code` names as ErrorCodes in
@modelbundle/core. Command line (JSON on stdout, exit code from ErrorCodes):

    modelbundle_reader.py inspect FILE
    modelbundle_reader.py verify FILE...        one JSON result per file, in a list
    modelbundle_reader.py sections FILE
    modelbundle_reader.py weights FILE          tfjs weights: name, dtype, shape, values
    modelbundle_reader.py predict FILE          rows (JSON list of input rows) on stdin
    modelbundle_reader.py signature FILE KEY... raw Ed25519 public keys in hex; one must have signed
"""

import hashlib
import json
import math
import mmap
import os
import re
import struct
import sys

import msgpack

try:
    import numpy as np
except ImportError:  # numpy is optional: only tfjs weights and predictions need it
    np = None

# --- Constants (docs/FORMAT.md sections 2 and 8) -----------------------------

MAGIC = b"\x89MBND\r\n\x1a"
PREFIX_BYTES = 128
ALIGNMENT = 64
FLAG_SIGNED = 1
SUPPORTED_MAJOR = 1
READER_FORMAT = "1.0.0"
MAX_SAFE = 2**53 - 1
LIMITS = {
    "header_bytes": 16 * 1024 * 1024,
    "sections": 65536,
    "depth": 32,
    "string_bytes": 1024 * 1024,
    "entries": 1_000_000,
    "metadata_bytes": 1024 * 1024,
    "section_name": 256,
    "requires_entries": 256,
    "requires_range": 256,
}

# Codes, HTTP statuses and exit codes exactly as ErrorCodes in @modelbundle/core.
ERROR_CODES = {
    "NOT_A_BUNDLE": (400, 10),
    "TRUNCATED": (400, 11),
    "CORRUPT": (400, 12),
    "MALFORMED": (400, 13),
    "LIMIT_EXCEEDED": (413, 14),
    "UNSUPPORTED_FORMAT": (422, 15),
    "UNKNOWN_KIND": (422, 16),
    "UNSUPPORTED_PAYLOAD": (422, 17),
    "UNKNOWN_CLASS": (422, 23),
    "SIGNATURE_INVALID": (401, 19),
    "INVALID_INPUT": (400, 25),
    "INVALID_ARGUMENT": (400, 2),
    "IO_ERROR": (500, 27),
    "INTERNAL": (500, 1),
}


class ModelBundleError(Exception):
    """A failure with a code from ErrorCodes; the message says what was found and what to do."""

    def __init__(self, code, message, **details):
        assert code in ERROR_CODES, code
        super().__init__(message)
        self.code = code
        self.details = details

    @property
    def exit_code(self):
        return ERROR_CODES[self.code][1]

    def to_json(self):
        return {"code": self.code, "message": str(self), "details": self.details}


def align64(n):
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


# --- Prefix (section 2; checks 1-9 of section 11) ------------------------------


def decode_prefix(data, size=None):
    """Checks and decodes the 128-byte prefix. `size` is the whole bundle's size when known."""
    head = bytes(data[: len(MAGIC)])
    if len(data) == 0 or head != MAGIC[: len(head)]:
        raise ModelBundleError(
            "NOT_A_BUNDLE",
            f"Not a modelbundle file: the first bytes are {head.hex() or '(none)'}, expected {MAGIC.hex()}.",
            region="prefix",
        )
    if len(data) >= 12:
        major, minor = struct.unpack_from("<HH", data, 8)
        if major != SUPPORTED_MAJOR:
            details = {"found": f"{major}.{minor}", "supported": f"^{READER_FORMAT}"}
            if major > SUPPORTED_MAJOR:
                details["upgradeTo"] = f"{major}.0.0"
            raise ModelBundleError(
                "UNSUPPORTED_FORMAT",
                f"Bundle format {major}.{minor} is not supported: this reader reads {SUPPORTED_MAJOR}.x.",
                **details,
            )
    if len(data) < PREFIX_BYTES:
        raise ModelBundleError(
            "TRUNCATED", f"Bundle is truncated: {len(data)} bytes, shorter than the 128-byte prefix.", region="prefix"
        )
    major, minor, flags, header_length, file_length = struct.unpack_from("<HHIQQ", data, 8)
    if flags & ~FLAG_SIGNED:
        raise ModelBundleError("MALFORMED", f"Prefix flags are 0x{flags:x}; only bit 0 is defined.", region="prefix")
    for name, value in (("header length", header_length), ("file length", file_length)):
        if value > MAX_SAFE:
            raise ModelBundleError("LIMIT_EXCEEDED", f"Prefix {name} is {value}, beyond 2^53 - 1.", region="prefix")
    if header_length > LIMITS["header_bytes"]:
        raise ModelBundleError(
            "LIMIT_EXCEEDED", f"Header length {header_length} is over the limit of {LIMITS['header_bytes']}.", region="prefix"
        )
    if header_length == 0 or PREFIX_BYTES + header_length > file_length:
        raise ModelBundleError(
            "MALFORMED", f"A header of {header_length} bytes cannot fit a file of {file_length} bytes.", region="prefix"
        )
    if size is not None and size != file_length:
        raise ModelBundleError(
            "TRUNCATED", f"Bundle is {size} bytes but its prefix says {file_length}.", region="file", expected=file_length, found=size
        )
    signature = bytes(data[64:PREFIX_BYTES])
    signed = bool(flags & FLAG_SIGNED)
    if not signed and any(signature):
        raise ModelBundleError("CORRUPT", "The signature slot holds bytes but the signed flag is clear.", region="prefix")
    if signed and not any(signature):
        # The reference reader refuses this too (an empty slot cannot be a signature).
        raise ModelBundleError("CORRUPT", "The signed flag is set but the signature slot is all zero.", region="prefix")
    return {
        "format_major": major,
        "format_minor": minor,
        "flags": flags,
        "header_length": header_length,
        "file_length": file_length,
        "header_digest": bytes(data[32:64]),
        "signature": signature if signed else None,
    }


# --- Header bytes: structural scan (section 3.1; check 12) --------------------

FORBIDDEN_KEYS = {"__proto__", "constructor", "prototype"}
_STR_TYPES = set(range(0xA0, 0xC0)) | {0xD9, 0xDA, 0xDB}
_FIXED_SKIP = {0xCA: 4, 0xCB: 8, 0xCC: 1, 0xD0: 1, 0xCD: 2, 0xD1: 2, 0xCE: 4, 0xD2: 4, 0xCF: 8, 0xD3: 8}


def scan_msgpack(data):
    """Walks the header's MessagePack without building values, refusing what a header may not hold."""
    n = len(data)
    remaining = [1]  # items left in each open container (maps count keys and values)
    keys = [None]  # keys seen in each open map
    state = {"pos": 0, "entries": 0}

    def fail(message, code="MALFORMED"):
        raise ModelBundleError(code, f"Header is not valid: {message} (at header byte {state['pos']}).", region="header")

    def need(k):
        if state["pos"] + k > n:
            fail(f"a value needs {k} more bytes but the header ends")

    def uint(size):
        need(size)
        value = int.from_bytes(data[state["pos"] : state["pos"] + size], "big")
        state["pos"] += size
        return value

    def open_container(count, is_map):
        items = count * 2 if is_map else count
        if items > n - state["pos"]:
            fail(f"a container declares {count} entries but only {n - state['pos']} bytes remain")
        state["entries"] += count
        if state["entries"] > LIMITS["entries"]:
            fail(f"more than {LIMITS['entries']} map entries and array items", "LIMIT_EXCEEDED")
        if len(remaining) > LIMITS["depth"]:
            fail(f"maps and arrays nested deeper than {LIMITS['depth']} levels", "LIMIT_EXCEEDED")
        if items:
            remaining.append(items)
            keys.append(set() if is_map else None)

    def blob(length, text, map_keys):
        if length > LIMITS["string_bytes"]:
            fail(f"a string or binary of {length} bytes, over the limit of {LIMITS['string_bytes']}", "LIMIT_EXCEEDED")
        need(length)
        if text:
            try:
                value = bytes(data[state["pos"] : state["pos"] + length]).decode("utf-8")
            except UnicodeDecodeError:
                fail("a map key is not valid UTF-8" if map_keys is not None else "a string is not valid UTF-8")
            if map_keys is not None:
                if value in FORBIDDEN_KEYS:
                    fail(f'the map key "{value}" is not allowed')
                if value in map_keys:
                    fail(f'the map key "{value[:64]}" appears twice in one map')
                map_keys.add(value)
        state["pos"] += length

    while remaining:
        depth = len(remaining) - 1
        left = remaining[depth]
        if left == 0:
            remaining.pop()
            keys.pop()
            continue
        remaining[depth] = left - 1
        map_keys = keys[depth] if left % 2 == 0 else None
        need(1)
        t = data[state["pos"]]
        state["pos"] += 1
        if map_keys is not None and t not in _STR_TYPES:
            state["pos"] -= 1
            fail(f"map keys must be strings, found type byte 0x{t:x}")
        if t <= 0x7F or t >= 0xE0 or t in (0xC0, 0xC2, 0xC3):
            continue
        if t <= 0x8F:
            open_container(t & 0x0F, True)
        elif t <= 0x9F:
            open_container(t & 0x0F, False)
        elif t <= 0xBF:
            blob(t & 0x1F, True, map_keys)
        elif t in (0xD9, 0xDA, 0xDB):
            blob(uint({0xD9: 1, 0xDA: 2, 0xDB: 4}[t]), True, map_keys)
        elif t in (0xC4, 0xC5, 0xC6):
            blob(uint({0xC4: 1, 0xC5: 2, 0xC6: 4}[t]), False, None)
        elif t in _FIXED_SKIP:
            need(_FIXED_SKIP[t])
            state["pos"] += _FIXED_SKIP[t]
        elif t in (0xDC, 0xDD):
            open_container(uint(2 if t == 0xDC else 4), False)
        elif t in (0xDE, 0xDF):
            open_container(uint(2 if t == 0xDE else 4), True)
        else:
            state["pos"] -= 1
            fail("the never-used type byte 0xc1" if t == 0xC1 else f"MessagePack extension type 0x{t:x}, which format 1 does not allow")
    if state["pos"] != n:
        fail(f"{n - state['pos']} bytes follow the header's single value")


# --- Header fields (section 3.3; checks 13-15) --------------------------------

FORMAT_VERSION_RE = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
KIND_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
SECTION_NAME_RE = re.compile(r"^[A-Za-z0-9_.:/-]+$")
HEX_DIGEST_RE = re.compile(r"^[0-9a-f]{64}$")
_NUM = r"(?:0|[1-9]\d*)"
_PRE_ID = r"(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)"
SEMVER_RE = re.compile(rf"^({_NUM})\.({_NUM})\.({_NUM})(?:-({_PRE_ID}(?:\.{_PRE_ID})*))?$")
_DATE_TIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(\.\d+)?(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$"
)


def js_length(text):
    """String length as JavaScript counts it (UTF-16 code units): the unit of the spec's character bounds."""
    return len(text.encode("utf-16-le")) // 2


def is_semver(value):
    """A canonical semantic version (semver 2.0.0, no build part), as node-semver's valid(v) === v."""
    if not isinstance(value, str) or len(value) > 256:
        return False
    m = SEMVER_RE.match(value)
    return bool(m) and all(int(part) <= MAX_SAFE for part in m.groups()[:3])


def is_datetime(value):
    """An RFC 3339 date-time with seconds, optional fraction, and Z or a +hh:mm offset; the date must exist."""
    m = _DATE_TIME_RE.match(value) if isinstance(value, str) else None
    if not m:
        return False
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return 1 <= month <= 12 and 1 <= day <= days[month - 1]


# node-semver range grammar (the parts a range may be built from).
_XR = r"(?:0|[1-9]\d*|[xX*])"
_PARTIAL = rf"v?{_XR}(?:\.{_XR}(?:\.{_XR}(?:-{_PRE_ID}(?:\.{_PRE_ID})*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?)?"
_PARTIAL_RE = re.compile(rf"^{_PARTIAL}$")
_COMPARATOR_RE = re.compile(rf"^(?:~>?|\^|[<>]=?|=)?({_PARTIAL})$")
_HYPHEN_RE = re.compile(rf"^({_PARTIAL})\s+-\s+({_PARTIAL})$")


def _partial_ok(text):
    """A partial version: after a wildcard only wildcards follow; numbers stay exact in a double."""
    parts = re.split(r"[-+]", text.lstrip("v"), maxsplit=1)[0].split(".")
    wild = False
    for part in parts:
        if part in ("x", "X", "*"):
            wild = True
        elif wild or int(part) > MAX_SAFE:
            return False
    return True


def is_semver_range(value):
    """An npm semver range (node-semver grammar, non-loose): `^1.2.0`, `>=1 <2 || 3.x`, `1 - 2`, `*`, ..."""
    if not isinstance(value, str):
        return False
    for part in re.split(r"\s*\|\|\s*", value.strip()):
        part = part.strip()
        hyphen = _HYPHEN_RE.match(part)
        if hyphen:
            if not (_partial_ok(hyphen.group(1)) and _partial_ok(hyphen.group(2))):
                return False
            continue
        # Operators may be followed by spaces: `>= 1.2.3` means `>=1.2.3`.
        compact = re.sub(r"(~>?|\^|[<>]=?|=)\s+", r"\1", part)
        for comparator in compact.split():
            m = _COMPARATOR_RE.match(comparator)
            if not m or not _partial_ok(m.group(1)):
                return False
    return True


class _FieldError(Exception):
    def __init__(self, path, problem, limit=False):
        super().__init__(problem)
        self.path, self.problem, self.limit = path, problem, limit


def _require(obj, key, path):
    if key not in obj:
        raise _FieldError(f"{path}{key}", "is missing")
    return obj[key]


def _string(value, path, min_len=None, max_len=None, pattern=None, check=None, what=None):
    if not isinstance(value, str):
        raise _FieldError(path, "must be a string")
    length = js_length(value)
    if min_len is not None and length < min_len:
        raise _FieldError(path, f"must have at least {min_len} characters")
    if max_len is not None and length > max_len:
        raise _FieldError(path, f"must have at most {max_len} characters", limit=True)
    if pattern is not None and not pattern.match(value):
        raise _FieldError(path, f"must match {pattern.pattern}")
    if check is not None and not check(value):
        raise _FieldError(path, f"must be {what}")


def _map(value, path):
    if not isinstance(value, dict):
        raise _FieldError(path, "must be a map")


def _integer(value, path):
    """A non-negative integer up to 2^53 - 1 (an integral float counts: readers accept any encoding)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _FieldError(path, "must be an integer")
    if isinstance(value, float) and (not math.isfinite(value) or value != int(value)):
        raise _FieldError(path, "must be an integer")
    if value > MAX_SAFE:
        raise _FieldError(path, "must be at most 2^53 - 1", limit=True)
    if value < 0:
        raise _FieldError(path, "must not be negative")


def _check_fields(header):
    """Section 3.3, field by field in the order the spec lists them; raises _FieldError at the first problem."""
    if not isinstance(header, dict):
        raise _FieldError("(root)", "must be a map")
    # Every range is parsed, so their number is bounded before any is.
    if isinstance(header.get("requires"), dict) and len(header["requires"]) > LIMITS["requires_entries"]:
        raise _FieldError("requires", f"must list at most {LIMITS['requires_entries']} packages", limit=True)
    _string(_require(header, "format", ""), "format", pattern=FORMAT_VERSION_RE)
    _string(_require(header, "kind", ""), "kind", 1, 128, KIND_RE)
    serializer = _require(header, "serializer", "")
    _map(serializer, "serializer")
    _string(_require(serializer, "version", "serializer."), "serializer.version", check=is_semver, what="a semantic version")
    for key in ("package", "plugin"):
        if key in serializer:
            _string(serializer[key], f"serializer.{key}", 1, 214)
    producer = _require(header, "producer", "")
    _map(producer, "producer")
    _string(_require(producer, "name", "producer."), "producer.name", max_len=214)
    _string(_require(producer, "version", "producer."), "producer.version", max_len=64)
    if "runtime" in producer:
        _string(producer["runtime"], "producer.runtime", max_len=256)
    _string(_require(header, "created", ""), "created", check=is_datetime, what="an RFC 3339 date-time")
    requires = _require(header, "requires", "")
    _map(requires, "requires")
    for name, spec in requires.items():
        if not 1 <= js_length(name) <= 214:
            # The reference reader reports a bad key of this map as a shape error, whatever its length.
            raise _FieldError(f"requires.{name}", "package names have 1 to 214 characters")
        _string(spec, f"requires.{name}", max_len=LIMITS["requires_range"], check=is_semver_range, what="a semver range")
    _map(_require(header, "metadata", ""), "metadata")
    _require(header, "ptype", "")
    _map(_require(header, "summary", ""), "summary")
    _map(_require(header, "payload", ""), "payload")
    sections = _require(header, "sections", "")
    if not isinstance(sections, list):
        raise _FieldError("sections", "must be an array")
    for i, entry in enumerate(sections):
        path = f"sections.{i}"
        _map(entry, path)
        _string(_require(entry, "name", f"{path}."), f"{path}.name", 1, LIMITS["section_name"], SECTION_NAME_RE)
        _integer(_require(entry, "offset", f"{path}."), f"{path}.offset")
        _integer(_require(entry, "length", f"{path}."), f"{path}.length")
        _string(_require(entry, "sha256", f"{path}."), f"{path}.sha256", pattern=HEX_DIGEST_RE)
        entry["offset"], entry["length"] = int(entry["offset"]), int(entry["length"])
    if len(sections) > LIMITS["sections"]:
        raise _FieldError("sections", f"must have at most {LIMITS['sections']} entries", limit=True)


def _metadata_bytes(header_bytes):
    """Encoded size of the header's `metadata` value, measured on the header's own bytes."""
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False, max_buffer_size=len(header_bytes) + 1)
    unpacker.feed(bytes(header_bytes))
    count = unpacker.read_map_header()
    for _ in range(count):
        key = unpacker.unpack()
        if key == "metadata":
            start = unpacker.tell()
            unpacker.skip()
            return unpacker.tell() - start
        unpacker.skip()
    return 0


def decode_header(header_bytes):
    """Scans, decodes and validates header bytes (checks 12-14)."""
    scan_msgpack(header_bytes)
    try:
        header = msgpack.unpackb(bytes(header_bytes), raw=False, strict_map_key=True, use_list=True)
    except Exception as cause:  # the scan makes this unreachable for conforming input
        raise ModelBundleError("MALFORMED", f"Header is not valid MessagePack: {cause}.", region="header") from cause
    try:
        _check_fields(header)
    except _FieldError as e:
        raise ModelBundleError(
            "LIMIT_EXCEEDED" if e.limit else "MALFORMED",
            f'Header field "{e.path}" is invalid: it {e.problem}. The bundle was written by a non-conforming writer or is damaged.',
            region="header",
            field=e.path,
        ) from None
    size = _metadata_bytes(header_bytes)
    if size > LIMITS["metadata_bytes"]:
        raise ModelBundleError("LIMIT_EXCEEDED", f"Header metadata is {size} bytes, over {LIMITS['metadata_bytes']}.", region="header")
    return header


# --- Reading --------------------------------------------------------------------


class Bundle:
    """A decoded bundle: prefix facts, the header, and each section as a memoryview of the file bytes."""

    def __init__(self, prefix, header, header_bytes, sections):
        self.prefix = prefix
        self.header = header
        self.header_bytes = header_bytes
        self.sections = sections  # dict name -> memoryview, in file order

    @property
    def signed(self):
        return self.prefix["signature"] is not None


def read_head(data, size=None):
    """Prefix and header (checks 1-15). `data` may be the whole file or just its first 128 + headerLength bytes."""
    prefix = decode_prefix(data, size)
    end = PREFIX_BYTES + prefix["header_length"]
    if len(data) < end:
        raise ModelBundleError("TRUNCATED", f"Bundle is truncated: {len(data)} bytes, but its header ends at byte {end}.", region="header")
    header_bytes = memoryview(data)[PREFIX_BYTES:end]
    digest = hashlib.sha256(header_bytes).digest()
    if digest != prefix["header_digest"]:
        raise ModelBundleError(
            "CORRUPT",
            f"Header is damaged: its SHA-256 is {digest.hex()}, the prefix records {prefix['header_digest'].hex()}.",
            region="header",
        )
    header = decode_header(header_bytes)
    major, minor, _patch = (int(p) for p in header["format"].split("."))
    if (major, minor) != (prefix["format_major"], prefix["format_minor"]):
        raise ModelBundleError(
            "MALFORMED",
            f"Header format {header['format']} disagrees with the prefix ({prefix['format_major']}.{prefix['format_minor']}).",
            region="prefix",
        )
    return prefix, header, bytes(header_bytes)


def check_section_table(header_length, sections, total):
    """Section 4: names unique, every offset where the lengths put it, the last section ends the file (check 16)."""
    base = align64(PREFIX_BYTES + header_length)
    names = set()
    end = 0
    for i, s in enumerate(sections):
        name = s["name"]
        if name in names:
            raise ModelBundleError("MALFORMED", f'Section table is invalid: section name "{name}" appears twice.', region=f"section:{name}")
        names.add(name)
        expected = align64(end)
        if s["offset"] != expected:
            raise ModelBundleError(
                "MALFORMED", f'Section table is invalid: section {i} ("{name}") starts at {s["offset"]}, expected {expected}.', region=f"section:{name}"
            )
        if s["length"] > MAX_SAFE - base - s["offset"]:
            raise ModelBundleError("MALFORMED", f'Section "{name}" runs past any possible file end.', region=f"section:{name}")
        end = s["offset"] + s["length"]
    expected_total = base + end if sections else PREFIX_BYTES + header_length
    if expected_total != total:
        raise ModelBundleError(
            "MALFORMED",
            f"Section table is invalid: it covers {expected_total} bytes but the file is {total} bytes (no holes, no trailing bytes).",
            region="header" if not sections else f"section:{sections[-1]['name']}",
        )


def decode_bundle(data, verify=True):
    """Decodes a whole bundle held in memory (checks 1-18; digests unless verify=False)."""
    data = memoryview(data).cast("B")
    prefix, header, header_bytes = read_head(data, len(data))
    check_section_table(prefix["header_length"], header["sections"], len(data))
    base = align64(PREFIX_BYTES + prefix["header_length"])
    _zero_padding(data, PREFIX_BYTES + prefix["header_length"], base, "header")
    sections = {}
    end = base
    for entry in header["sections"]:
        start = base + entry["offset"]
        _zero_padding(data, end, start, f"section:{entry['name']}")
        sections[entry["name"]] = data[start : start + entry["length"]]
        end = start + entry["length"]
    bundle = Bundle(prefix, header, header_bytes, sections)
    if verify:
        verify_sections(bundle)
    return bundle


def _zero_padding(data, start, end, region):
    if any(data[start:end]):
        raise ModelBundleError("CORRUPT", f"Alignment padding before {region} holds non-zero bytes (file bytes {start}..{end}).", region=f"padding:{region}")


def verify_sections(bundle):
    """Check 18: every section's SHA-256, in table order."""
    for entry in bundle.header["sections"]:
        digest = hashlib.sha256(bundle.sections[entry["name"]]).hexdigest()
        if digest != entry["sha256"]:
            raise ModelBundleError(
                "CORRUPT",
                f'Section "{entry["name"]}" is damaged: its SHA-256 is {digest}, the header records {entry["sha256"]}.',
                region=f"section:{entry['name']}",
                expected=entry["sha256"],
                found=digest,
            )


def _open(path):
    try:
        return open(path, "rb")
    except OSError as e:
        raise ModelBundleError("IO_ERROR", f"Cannot open {path}: {e.strerror}.", path=path) from e


def inspect_file(path):
    """Reads only the prefix and header of a bundle file (128 + headerLength bytes), whatever its size."""
    with _open(path) as f:
        size = os.fstat(f.fileno()).st_size
        head = f.read(min(PREFIX_BYTES, size))
        prefix = decode_prefix(head, size)
        head += f.read(prefix["header_length"])
        prefix, header, _ = read_head(head, size)
    return {
        "header": header,
        "fileLength": prefix["file_length"],
        "headerLength": prefix["header_length"],
        "headerDigest": prefix["header_digest"].hex(),
        "signed": prefix["signature"] is not None,
        "bytesRead": len(head),
    }


def read_file(path, verify=True):
    """Reads and decodes a whole bundle file. The file is memory-mapped, so sections (and numpy
    arrays over them) are views of the page cache, and bundles larger than memory can be read."""
    with _open(path) as f:
        size = os.fstat(f.fileno()).st_size
        data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size > 0 else b""
        return decode_bundle(data, verify=verify)


def list_sections(bundle):
    """The section table with absolute file offsets."""
    base = align64(PREFIX_BYTES + bundle.prefix["header_length"])
    return [
        {"name": s["name"], "offset": s["offset"], "fileOffset": base + s["offset"], "length": s["length"], "sha256": s["sha256"]}
        for s in bundle.header["sections"]
    ]


# --- Signatures (section 7): Ed25519 verification from RFC 8032, standard library only ----------

SIGNATURE_DOMAIN = b"modelbundle:signature:v1"
_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _ed_add(a, b):
    """Adds two points in extended coordinates (X, Y, Z, T) of edwards25519."""
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    pa, pb = (y1 - x1) * (y2 - x2) % _P, (y1 + x1) * (y2 + x2) % _P
    pc, pd = t1 * 2 * _D * t2 % _P, z1 * 2 * z2 % _P
    e, f, g, h = pb - pa, pd - pc, pd + pc, pb + pa
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _ed_mul(k, point):
    result = (0, 1, 1, 0)
    while k:
        if k & 1:
            result = _ed_add(result, point)
        point = _ed_add(point, point)
        k >>= 1
    return result


def _ed_decode(raw):
    """A point from its 32-byte encoding, or None when it is not on the curve."""
    y = int.from_bytes(raw, "little") & (2**255 - 1)
    sign = raw[31] >> 7
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P or (x == 0 and sign):
        return None
    if x & 1 != sign:
        x = _P - x
    return (x, y, 1, x * y % _P)


_BASE = _ed_decode((4 * pow(5, _P - 2, _P) % _P).to_bytes(32, "little"))


def _ed25519_verify(public_key, message, signature):
    a, r = _ed_decode(public_key), _ed_decode(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= _L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % _L
    left, right = _ed_mul(s, _BASE), _ed_add(r, _ed_mul(h, a))
    return (left[0] * right[2] - right[0] * left[2]) % _P == 0 and (left[1] * right[2] - right[1] * left[2]) % _P == 0


def verify_signature(bundle, public_keys):
    """Section 7: the bundle must be signed, by one of the raw 32-byte Ed25519 `public_keys`. Returns the key that signed."""
    if not bundle.signed:
        raise ModelBundleError("SIGNATURE_INVALID", "The bundle is not signed, but a signature from a trusted key was required.")
    message = SIGNATURE_DOMAIN + b"\x00" + bundle.prefix["header_digest"]
    for key in public_keys:
        if len(key) == 32 and _ed25519_verify(bytes(key), message, bundle.prefix["signature"]):
            return bytes(key)
    raise ModelBundleError(
        "SIGNATURE_INVALID", f"The bundle's signature was not made by any of the {len(public_keys)} trusted key(s)."
    )


# --- tfjs layers models ---------------------------------------------------------

TFJS_KINDS = ("tfjs.sequential", "tfjs.functional")
TFJS_DTYPES = {"float32": ("<f4", 4), "int32": ("<i4", 4), "bool": ("u1", 1), "complex64": ("<c8", 8)}


def _need_numpy():
    if np is None:
        raise ModelBundleError("INTERNAL", "numpy is not installed; install python3-numpy to read tfjs weights.")


def tfjs_topology(bundle):
    """The topology document (model.json without its weights manifest) of a tfjs bundle."""
    if bundle.header["kind"] not in TFJS_KINDS:
        raise ModelBundleError("UNKNOWN_KIND", f'Bundle kind is "{bundle.header["kind"]}"; this reader reads tfjs weights from {", ".join(TFJS_KINDS)}.')
    name = bundle.header["payload"].get("topology")
    if not isinstance(name, str) or name not in bundle.sections:
        raise ModelBundleError("MALFORMED", f"payload.topology is {name!r}; expected the name of a section.")
    try:
        doc = json.loads(bytes(bundle.sections[name]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ModelBundleError("MALFORMED", f'Section "{name}" is not UTF-8 JSON: {e}.') from e
    if not isinstance(doc, dict) or not isinstance(doc.get("modelTopology"), dict):
        raise ModelBundleError("MALFORMED", f'Section "{name}" has no modelTopology object.')
    return doc


def tfjs_weights(bundle, include_optimizer=False):
    """Every weight of a tfjs bundle as a numpy array (read-only views of the section bytes), keyed by tfjs weight name."""
    _need_numpy()
    tfjs_topology(bundle)
    entries = bundle.header["payload"].get("weights")
    if not isinstance(entries, list):
        raise ModelBundleError("MALFORMED", "payload.weights is not a list.")
    out = {}
    shared_ends = {}  # payload 2.0: a section several small weights share -> where the last one read ends
    own = set()
    for i, w in enumerate(entries):
        if not isinstance(w, dict) or w.get("dtype") not in TFJS_DTYPES or w.get("section") not in bundle.sections:
            raise ModelBundleError("MALFORMED", f"payload.weights[{i}] lacks a known dtype or an existing section.")
        if w.get("group") == "optimizer" and not include_optimizer:
            continue
        shape = w.get("shape")
        if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
            raise ModelBundleError("MALFORMED", f'Weight "{w.get("name")}" has shape {shape!r}; expected non-negative integers.')
        dtype, width = TFJS_DTYPES[w["dtype"]]
        data = bundle.sections[w["section"]]
        count = 1
        for d in shape:
            count *= d
        offset = w.get("offset")
        if offset is not None:
            # Shared section: weights tile it in payload order, each at the next multiple of 64.
            end = shared_ends.get(w["section"])
            at = 0 if end is None else -(-end // 64) * 64
            if w["section"] in own or offset != at or isinstance(offset, bool) or at + count * width > len(data):
                raise ModelBundleError(
                    "MALFORMED", f'Weight "{w["name"]}" is at offset {offset!r} of section "{w["section"]}"; the next weight there must start at {at} and fit.'
                )
            shared_ends[w["section"]] = at + count * width
            data = data[at : at + count * width]
        else:
            if w["section"] in own or w["section"] in shared_ends:
                raise ModelBundleError("MALFORMED", f'Section "{w["section"]}" is used by two weights.')
            own.add(w["section"])
            if count * width != len(data):
                raise ModelBundleError(
                    "MALFORMED", f'Weight "{w["name"]}" is {w["dtype"]}{shape}, {count * width} bytes, but section "{w["section"]}" holds {len(data)}.'
                )
        array = np.frombuffer(data, dtype=dtype).reshape(shape)
        out[w["name"]] = array.astype(bool) if w["dtype"] == "bool" else array
    for section, end in shared_ends.items():
        if end != len(bundle.sections[section]):
            raise ModelBundleError("MALFORMED", f'Section "{section}" holds {len(bundle.sections[section])} bytes, but its weights end at byte {end}.')
    return out


def _activation(name):
    """Keras activations by their serialized name, in float64."""
    table = {
        "linear": lambda x: x,
        "relu": lambda x: np.maximum(x, 0),
        "relu6": lambda x: np.clip(x, 0, 6),
        "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
        "hardSigmoid": lambda x: np.clip(0.2 * x + 0.5, 0, 1),
        "tanh": np.tanh,
        "softplus": lambda x: np.logaddexp(0, x),
        "softsign": lambda x: x / (1 + np.abs(x)),
        "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
        "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
        "swish": lambda x: x / (1 + np.exp(-x)),
        "mish": lambda x: x * np.tanh(np.logaddexp(0, x)),
        "softmax": lambda x: (lambda e: e / e.sum(axis=-1, keepdims=True))(np.exp(x - x.max(axis=-1, keepdims=True))),
    }
    key = name or "linear"
    if key not in table:
        raise ModelBundleError("UNKNOWN_CLASS", f'Activation "{key}" is not implemented by this reader; it knows {", ".join(sorted(table))}.')
    return table[key]


def tfjs_dense_predict(bundle, inputs):
    """Predicts with a sequential tfjs model of Dense layers (plus InputLayer, Dropout, Flatten, Activation) in numpy."""
    _need_numpy()
    topology = tfjs_topology(bundle)["modelTopology"]
    model = topology.get("model_config", topology)
    if model.get("class_name") != "Sequential":
        raise ModelBundleError("UNKNOWN_CLASS", f'The model is a {model.get("class_name")}; this reader predicts only with Sequential models.')
    config = model.get("config")
    layers = config.get("layers") if isinstance(config, dict) else config
    weights = tfjs_weights(bundle)
    x = np.asarray(inputs, dtype=np.float64)
    for layer in layers or []:
        cls, cfg = layer.get("class_name"), layer.get("config", {})
        if cls == "Dense":
            kernel = weights.get(f"{cfg['name']}/kernel")
            if kernel is None:
                raise ModelBundleError("MALFORMED", f'Dense layer "{cfg["name"]}" has no kernel weight.')
            x = x @ kernel.astype(np.float64)
            if cfg.get("use_bias", True):
                x = x + weights[f"{cfg['name']}/bias"].astype(np.float64)
            x = _activation(cfg.get("activation"))(x)
        elif cls == "Activation":
            x = _activation(cfg.get("activation"))(x)
        elif cls == "Flatten":
            x = x.reshape(x.shape[0], -1)
        elif cls not in ("InputLayer", "Dropout"):
            raise ModelBundleError("UNKNOWN_CLASS", f'Layer class "{cls}" is not implemented by this reader; it predicts with Dense, Activation, Flatten, Dropout and InputLayer.')
    return x


# --- Command line -----------------------------------------------------------------


def _jsonable(value):
    """Header values as JSON: binary becomes {"$hex": ...}."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$hex": bytes(value).hex()}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def verify_result(path):
    """One file's outcome: its header and section digests, or the error code it raises
    (and the code inspection alone raises, `inspectError`, or None when the head is sound)."""
    try:
        inspect_file(path)
        inspect_error = None
    except ModelBundleError as e:
        inspect_error = e.code
    try:
        bundle = read_file(path)
    except ModelBundleError as e:
        return {"file": path, "ok": False, "error": e.to_json(), "inspectError": inspect_error}
    return {
        "file": path,
        "ok": True,
        "header": _jsonable(bundle.header),
        "headerDigest": bundle.prefix["header_digest"].hex(),
        "sections": [{"name": s["name"], "sha256": hashlib.sha256(bundle.sections[s["name"]]).hexdigest()} for s in bundle.header["sections"]],
    }


def main(argv):
    if len(argv) < 2 or argv[0] not in ("inspect", "verify", "sections", "weights", "predict", "signature"):
        print(__doc__, file=sys.stderr)
        return ERROR_CODES["INVALID_ARGUMENT"][1]
    command, files = argv[0], argv[1:]
    try:
        if command == "verify":
            results = [verify_result(f) for f in files]
            print(json.dumps(results))
            failed = [r for r in results if not r["ok"]]
            return ERROR_CODES[failed[0]["error"]["code"]][1] if failed else 0
        path = files[0]
        if command == "inspect":
            print(json.dumps(_jsonable(inspect_file(path))))
        elif command == "sections":
            print(json.dumps(list_sections(read_file(path))))
        elif command == "weights":
            weights = tfjs_weights(read_file(path))
            print(json.dumps([{"name": k, "dtype": str(v.dtype), "shape": list(v.shape), "values": v.ravel().tolist()} for k, v in weights.items()]))
        elif command == "signature":
            key = verify_signature(read_file(path), [bytes.fromhex(k) for k in files[1:]])
            print(json.dumps({"signed": True, "publicKey": key.hex()}))
        elif command == "predict":
            rows = json.load(sys.stdin)
            print(json.dumps(tfjs_dense_predict(read_file(path), rows).tolist()))
        return 0
    except ModelBundleError as e:
        print(json.dumps({"error": e.to_json()}))
        return e.exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
