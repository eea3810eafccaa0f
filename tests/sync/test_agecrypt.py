"""age v1: our encryption against the stock ``age`` tool, both ways, plus every way a file can fail."""

from __future__ import annotations

import ast
import base64
import hashlib
import io
import os
import shutil
import subprocess
import threading
import time
import tracemalloc
import zipfile
from pathlib import Path
from typing import BinaryIO, cast

import pytest
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from desktop.core.i18n import parse_po, po_path, set_language
from desktop.sync import agecrypt, bech32
from desktop.sync.agecrypt import (
    CHUNK_SIZE,
    ENCRYPTED_CHUNK_SIZE,
    AgeError,
    AgeReader,
    AgeWriter,
    CorruptedError,
    MalformedError,
    TruncatedError,
    WrongIdentityError,
    decrypt_stream,
    decrypt_to_file,
    encrypt_file,
    encrypt_stream,
    generate_identity,
    parse_identities,
    parse_recipient,
    recipient_of,
)

requires_age = pytest.mark.skipif(
    shutil.which("age") is None or shutil.which("age-keygen") is None,
    reason="stock age/age-keygen not installed (CI installs Debian's age package)",
)

SIZES = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 5]


def _data(size: int) -> bytes:
    return hashlib.shake_256(str(size).encode()).digest(size) if size else b""


def _encrypt(data: bytes, recipients: list[str]) -> bytes:
    out = io.BytesIO()
    encrypt_stream(io.BytesIO(data), out, recipients)
    return out.getvalue()


def _decrypt(blob: bytes, identities: list[str]) -> bytes:
    out = io.BytesIO()
    decrypt_stream(io.BytesIO(blob), out, identities)
    return out.getvalue()


def _header_length(blob: bytes) -> int:
    """Bytes up to and including the MAC line (the payload nonce follows)."""
    return blob.index(b"\n", blob.index(b"\n--- ") + 1) + 1


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return generate_identity()


@pytest.fixture()
def identity_file(tmp_path: Path, keys: tuple[str, str]) -> Path:
    path = tmp_path / "identity.txt"
    path.write_text(f"# a comment, as age-keygen writes\n{keys[0]}\n")
    return path


def _stock_decrypt(blob: bytes, identity_file: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["age", "-d", "-i", str(identity_file)], input=blob, capture_output=True, timeout=60
    )


# --- keys -------------------------------------------------------------------------------------


def test_generated_keys_have_the_standard_shapes(keys: tuple[str, str]) -> None:
    identity, recipient = keys
    assert identity.startswith("AGE-SECRET-KEY-1") and identity == identity.upper()
    assert recipient.startswith("age1") and recipient == recipient.lower()
    assert len(recipient) == 62
    assert recipient_of(identity) == recipient
    assert generate_identity()[0] != identity


@requires_age
def test_stock_age_keygen_derives_the_same_recipient(tmp_path: Path, keys: tuple[str, str]) -> None:
    result = subprocess.run(
        ["age-keygen", "-y"], input=keys[0] + "\n", capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == keys[1]


@requires_age
def test_age_keygen_identity_file_works_with_our_code(tmp_path: Path) -> None:
    key_file = tmp_path / "keygen.txt"
    subprocess.run(["age-keygen", "-o", str(key_file)], capture_output=True, check=True)
    text = key_file.read_text()
    public = next(
        line.split(": ")[1] for line in text.splitlines() if line.startswith("# public key:")
    )
    assert recipient_of(text) == public
    data = _data(100_000)
    blob = _encrypt(data, [public])
    assert _decrypt(blob, [text]) == data
    assert _stock_decrypt(blob, key_file).stdout == data


@pytest.mark.parametrize(
    "text",
    [
        "",
        "age1",
        "not a key",
        "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",
        bech32.encode("age", bytes(31)),
        bech32.encode("agex", bytes(32)),
        bech32.encode("age", bytes(32)).upper(),
    ],
)
def test_bad_recipients_are_refused_clearly(text: str) -> None:
    with pytest.raises(MalformedError, match="不是有效的 age 公钥"):
        parse_recipient(text)


def test_recipient_with_one_changed_character_fails_its_checksum(keys: tuple[str, str]) -> None:
    recipient = keys[1]
    changed = recipient[:-3] + ("q" if recipient[-3] != "q" else "p") + recipient[-2:]
    with pytest.raises(MalformedError):
        parse_recipient(changed)


def test_bad_identities_are_refused_without_echoing_the_secret(keys: tuple[str, str]) -> None:
    # Change the last (checksum) character to a different one: "Q" alone would be no change
    # for the one key in 32 that already ends in Q.
    damaged = keys[0][:-1] + ("Q" if keys[0][-1] != "Q" else "P")
    with pytest.raises(MalformedError) as excinfo:
        parse_identities(damaged)
    assert "AGE-SECRET-KEY-1" in str(excinfo.value) and keys[0][20:40] not in str(excinfo.value)
    with pytest.raises(MalformedError, match="不是有效的 age 私钥"):
        recipient_of(keys[1])  # a public key where a secret one belongs
    with pytest.raises(MalformedError, match="没有 age 私钥"):
        parse_identities("# only a comment\n\n")
    with pytest.raises(MalformedError, match="没有指定收件人"):
        _encrypt(b"x", [])


# --- interoperability -------------------------------------------------------------------------


@requires_age
@pytest.mark.parametrize("size", SIZES)
def test_stock_age_decrypts_what_we_encrypt(
    size: int, keys: tuple[str, str], identity_file: Path
) -> None:
    data = _data(size)
    blob = _encrypt(data, [keys[1]])
    result = _stock_decrypt(blob, identity_file)
    assert result.returncode == 0, result.stderr
    assert result.stdout == data


@requires_age
@pytest.mark.parametrize("size", SIZES)
def test_we_decrypt_what_stock_age_encrypts(size: int, keys: tuple[str, str]) -> None:
    data = _data(size)
    blob = subprocess.run(
        ["age", "-e", "-r", keys[1]], input=data, capture_output=True, check=True
    ).stdout
    assert _decrypt(blob, [keys[0]]) == data


def test_payload_sizes_follow_the_chunking_rules(keys: tuple[str, str]) -> None:
    """Exactly 64 KiB is one full chunk marked last (no empty chunk after); empty is one tag."""
    for size, chunks in [(0, 1), (CHUNK_SIZE, 1), (CHUNK_SIZE + 1, 2), (2 * CHUNK_SIZE, 2)]:
        blob = _encrypt(_data(size), [keys[1]])
        assert len(blob) - _header_length(blob) - 16 == size + 16 * chunks


@requires_age
def test_multiple_recipients_each_can_decrypt(tmp_path: Path) -> None:
    pairs = [generate_identity() for _ in range(3)]
    data = _data(70_000)
    ours = _encrypt(data, [recipient for _, recipient in pairs])
    stock = subprocess.run(
        ["age", "-e", *[arg for _, r in pairs for arg in ("-r", r)]],
        input=data,
        capture_output=True,
        check=True,
    ).stdout
    for index, (identity, _recipient) in enumerate(pairs):
        key_file = tmp_path / f"id{index}.txt"
        key_file.write_text(identity + "\n")
        assert _decrypt(ours, [identity]) == data
        assert _decrypt(stock, [identity]) == data
        assert _stock_decrypt(ours, key_file).stdout == data
    # an identity list where only the last one matches
    assert _decrypt(ours, [generate_identity()[0], pairs[2][0]]) == data


# --- file objects and files -------------------------------------------------------------------


@requires_age
def test_zipfile_writes_straight_into_an_age_writer(
    tmp_path: Path, keys: tuple[str, str], identity_file: Path
) -> None:
    entries = {"manifest.json": b'{"v": 1}', "changes.jsonl": _data(300_000), "empty": b""}
    encrypted = tmp_path / "bundle.dsb"
    with encrypted.open("wb") as raw, AgeWriter(raw, [keys[1]]) as writer:
        with zipfile.ZipFile(writer, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, content in entries.items():
                archive.writestr(name, content)
        assert writer.tell() > 0 and not writer.seekable()

    plain = tmp_path / "bundle.zip"
    assert decrypt_to_file(encrypted, plain, [identity_file.read_text()]) == plain.stat().st_size
    with zipfile.ZipFile(plain) as archive:
        assert archive.testzip() is None
        assert {name: archive.read(name) for name in archive.namelist()} == entries
    stock = _stock_decrypt(encrypted.read_bytes(), identity_file)
    assert stock.stdout == plain.read_bytes()


def test_writer_left_by_an_exception_is_not_sealed(keys: tuple[str, str]) -> None:
    out = io.BytesIO()
    with pytest.raises(RuntimeError), AgeWriter(out, [keys[1]]) as writer:
        writer.write(_data(1000))
        raise RuntimeError("disk pulled")
    with pytest.raises(TruncatedError):
        _decrypt(out.getvalue(), [keys[0]])


def test_writer_dropped_without_close_is_not_sealed(keys: tuple[str, str]) -> None:
    out = io.BytesIO()
    writer = AgeWriter(out, [keys[1]])
    writer.write(b"half a bundle")
    del writer
    with pytest.raises(TruncatedError):
        _decrypt(out.getvalue(), [keys[0]])


def test_reader_returns_the_same_bytes_for_any_read_size(keys: tuple[str, str]) -> None:
    data = _data(3 * CHUNK_SIZE + 77)
    blob = _encrypt(data, [keys[1]])
    for size in (1, 1000, CHUNK_SIZE, CHUNK_SIZE + 3, 10 * CHUNK_SIZE):
        reader = AgeReader(io.BytesIO(blob), [keys[0]])
        pieces = []
        while piece := reader.read(size):
            pieces.append(piece)
        assert b"".join(pieces) == data
    reader = AgeReader(io.BytesIO(blob), [keys[0]])
    assert reader.read() == data and reader.read(10) == b""
    reader.close()
    with pytest.raises(ValueError):
        reader.read(1)
    # many small writes, then single bytes across the chunk edge
    split, total = CHUNK_SIZE - 5, CHUNK_SIZE + 20
    out = io.BytesIO()
    with AgeWriter(out, [keys[1]]) as writer:
        for start in range(0, split, 4096):
            assert writer.write(memoryview(data)[start : min(start + 4096, split)]) > 0
        for byte in data[split:total]:
            writer.write(bytes([byte]))
    assert writer.tell() == total
    assert _decrypt(out.getvalue(), [keys[0]]) == data[:total]


def test_encrypt_file_and_decrypt_to_file_round_trip(tmp_path: Path, keys: tuple[str, str]) -> None:
    source = tmp_path / "plain.bin"
    source.write_bytes(_data(200_000))
    encrypt_file(source, tmp_path / "sealed.age", [keys[1]])
    assert decrypt_to_file(tmp_path / "sealed.age", tmp_path / "back.bin", [keys[0]]) == 200_000
    assert (tmp_path / "back.bin").read_bytes() == source.read_bytes()


def test_failed_decrypt_to_file_leaves_no_file_and_keeps_an_old_one(
    tmp_path: Path, keys: tuple[str, str]
) -> None:
    sealed = tmp_path / "sealed.age"
    sealed.write_bytes(_encrypt(_data(200_000), [keys[1]])[:-100])
    target = tmp_path / "out.bin"
    with pytest.raises(AgeError):
        decrypt_to_file(sealed, target, [keys[0]])
    assert list(tmp_path.iterdir()) == [sealed]
    target.write_bytes(b"previous good copy")
    with pytest.raises(AgeError):
        decrypt_to_file(sealed, target, [keys[0]])
    assert target.read_bytes() == b"previous good copy"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin", "sealed.age"]


# --- failures ---------------------------------------------------------------------------------


def test_wrong_identity_is_told_apart(keys: tuple[str, str]) -> None:
    blob = _encrypt(b"for the county only", [keys[1]])
    with pytest.raises(WrongIdentityError, match="不是发给本机的"):
        _decrypt(blob, [generate_identity()[0]])
    set_language("en")
    try:
        with pytest.raises(WrongIdentityError, match="not sent to this computer"):
            AgeReader(io.BytesIO(blob), [generate_identity()[0]])
    finally:
        set_language("zh_CN")


@pytest.fixture(scope="module")
def three_chunks(keys: tuple[str, str]) -> bytes:
    return _encrypt(_data(2 * CHUNK_SIZE + 1000), [keys[1]])


def test_truncation_anywhere_is_refused(three_chunks: bytes, keys: tuple[str, str]) -> None:
    payload = _header_length(three_chunks) + 16
    cuts = {
        "empty file": 0,
        "inside the version line": 10,
        "inside the stanza": 40,
        "before the MAC line ends": _header_length(three_chunks) - 5,
        "before the payload nonce": _header_length(three_chunks),
        "inside the payload nonce": _header_length(three_chunks) + 7,
        "before the first chunk": payload,
        "inside the first chunk": payload + 1000,
        "at a chunk boundary": payload + ENCRYPTED_CHUNK_SIZE,
        "at the second chunk boundary": payload + 2 * ENCRYPTED_CHUNK_SIZE,
        "inside the last chunk's tag": len(three_chunks) - 1,
    }
    for where, cut in cuts.items():
        with pytest.raises(AgeError) as excinfo:
            _decrypt(three_chunks[:cut], [keys[0]])
        assert isinstance(excinfo.value, TruncatedError | CorruptedError | MalformedError), where
    for cut in (
        0,
        payload,
        payload + ENCRYPTED_CHUNK_SIZE,
        payload + 2 * ENCRYPTED_CHUNK_SIZE,
    ):
        with pytest.raises(TruncatedError, match="被截断|空的"):
            _decrypt(three_chunks[:cut], [keys[0]])


def _flip(blob: bytes, position: int) -> bytes:
    changed = bytearray(blob)
    changed[position] ^= 0x01
    return bytes(changed)


def test_a_flipped_bit_anywhere_is_refused(three_chunks: bytes, keys: tuple[str, str]) -> None:
    header = _header_length(three_chunks)
    share = three_chunks.index(b"X25519 ") + 12
    body = three_chunks.index(b"\n", share) + 5
    positions = {
        "version line": 3,
        "ephemeral share": share,
        "wrapped file key": body,
        "MAC": header - 10,
        "payload nonce": header + 3,
        "first chunk data": header + 16 + 5,
        "first chunk tag": header + 16 + ENCRYPTED_CHUNK_SIZE - 1,
        "second chunk": header + 16 + ENCRYPTED_CHUNK_SIZE + 100,
        "last chunk": len(three_chunks) - 20,
        "last byte": len(three_chunks) - 1,
    }
    accepted = []
    for where, position in positions.items():
        try:
            _decrypt(_flip(three_chunks, position), [keys[0]])
            accepted.append(where)
        except AgeError:
            pass
    assert accepted == []
    for position in range(header, len(three_chunks), 9973):
        with pytest.raises(CorruptedError, match="损坏或被篡改"):
            _decrypt(_flip(three_chunks, position), [keys[0]])
    mac_at = three_chunks.index(b"\n--- ") + 5
    mac = base64.b64decode(three_chunks[mac_at : header - 1] + b"=")
    other_mac = base64.b64encode(_flip(mac, 7)).rstrip(b"=")
    with pytest.raises(CorruptedError, match="文件头"):
        _decrypt(three_chunks[:mac_at] + other_mac + three_chunks[header - 1 :], [keys[0]])


def test_header_edits_that_keep_the_key_usable_fail_the_mac(keys: tuple[str, str]) -> None:
    blob = _encrypt(b"data", [keys[1]])
    header = _header_length(blob)
    grease = b"-> extra-stanza arg\n\n"
    edited = blob[: blob.index(b"--- ")] + grease + blob[blob.index(b"--- ") :]
    assert _header_length(edited) == header + len(grease)
    with pytest.raises(CorruptedError, match="文件头"):
        _decrypt(edited, [keys[0]])


def test_trailing_data_is_refused(three_chunks: bytes, keys: tuple[str, str]) -> None:
    # After a short last chunk, extra bytes join that chunk and break its tag (as in stock age).
    for extra in (b"x", b"\n", three_chunks[-ENCRYPTED_CHUNK_SIZE:]):
        with pytest.raises(CorruptedError):
            _decrypt(three_chunks + extra, [keys[0]])
    # After a full-size last chunk, they are named for what they are.
    exact = _encrypt(_data(CHUNK_SIZE), [keys[1]])
    for extra in (b"x", b"\0" * 16, exact[-100:]):
        with pytest.raises(CorruptedError, match="多余的数据"):
            _decrypt(exact + extra, [keys[0]])


def test_swapped_chunks_are_refused(three_chunks: bytes, keys: tuple[str, str]) -> None:
    start = _header_length(three_chunks) + 16
    first = three_chunks[start : start + ENCRYPTED_CHUNK_SIZE]
    second = three_chunks[start + ENCRYPTED_CHUNK_SIZE : start + 2 * ENCRYPTED_CHUNK_SIZE]
    swapped = (
        three_chunks[:start] + second + first + three_chunks[start + 2 * ENCRYPTED_CHUNK_SIZE :]
    )
    with pytest.raises(CorruptedError):
        _decrypt(swapped, [keys[0]])


def _hand_built(keys: tuple[str, str], chunks: list[tuple[bytes, bool]]) -> bytes:
    """A file whose chunks we seal ourselves, to break the spec's chunk rules on purpose."""
    out = io.BytesIO()
    payload_key = agecrypt._write_header(out, [parse_recipient(keys[1])])
    aead = ChaCha20Poly1305(payload_key)
    for counter, (plain, last) in enumerate(chunks):
        out.write(aead.encrypt(agecrypt._chunk_nonce(counter, last), plain, None))
    return out.getvalue()


def test_spec_chunk_rules(keys: tuple[str, str]) -> None:
    full = _data(CHUNK_SIZE)
    # a well-formed hand-built file decrypts, so the refusals below are about the rules
    assert (
        _decrypt(_hand_built(keys, [(full, False), (b"tail", True)]), [keys[0]]) == full + b"tail"
    )
    # an empty last chunk is only allowed when the whole payload is empty
    assert _decrypt(_hand_built(keys, [(b"", True)]), [keys[0]]) == b""
    with pytest.raises(CorruptedError):
        _decrypt(_hand_built(keys, [(full, False), (b"", True)]), [keys[0]])
    # no chunk marked last: the file ends too early
    with pytest.raises(TruncatedError):
        _decrypt(_hand_built(keys, [(full, False), (full, False)]), [keys[0]])
    # a short chunk not marked last
    with pytest.raises(CorruptedError):
        _decrypt(_hand_built(keys, [(b"short", False)]), [keys[0]])
    # a chunk marked last in the middle, then more data
    with pytest.raises(CorruptedError, match="多余的数据"):
        _decrypt(_hand_built(keys, [(full, True), (b"more", True)]), [keys[0]])


@requires_age
def test_things_that_are_not_binary_age_files(keys: tuple[str, str]) -> None:
    armored = subprocess.run(
        ["age", "-e", "-a", "-r", keys[1]], input=b"x", capture_output=True, check=True
    ).stdout
    with pytest.raises(MalformedError, match="armor"):
        _decrypt(armored, [keys[0]])
    for junk in (b"PK\x03\x04 a zip, not age", b"age-encryption.org/v2\n", b"\x00" * 100):
        with pytest.raises(MalformedError, match="不是有效的 age 加密文件"):
            _decrypt(junk, [keys[0]])
    with pytest.raises(MalformedError):
        _decrypt(
            b"age-encryption.org/v1\n-> X25519 short\nAAAA\n--- " + b"A" * 43 + b"\n", [keys[0]]
        )
    no_stanza = b"age-encryption.org/v1\n--- " + b"A" * 43 + b"\n" + bytes(32)
    with pytest.raises(MalformedError):
        _decrypt(no_stanza, [keys[0]])
    huge_line = b"age-encryption.org/v1\n-> " + b"a" * 10_000 + b"\n"
    with pytest.raises(MalformedError):
        _decrypt(huge_line, [keys[0]])


# --- memory -----------------------------------------------------------------------------------


class _PatternSource(io.RawIOBase):
    """``size`` bytes made on demand, so the test never holds the plaintext."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.block = hashlib.shake_256(b"pattern").digest(CHUNK_SIZE - 7)  # off the chunk grid
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer):  # type: ignore[no-untyped-def]
        count = min(len(buffer), self.left, len(self.block))
        buffer[:count] = self.block[:count]
        self.digest.update(self.block[:count])
        self.left -= count
        return count


class _HashingSink(io.RawIOBase):
    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data):  # type: ignore[no-untyped-def]
        self.digest.update(data)
        self.size += len(data)
        return len(data)


def test_memory_stays_bounded_for_a_200_mb_stream(keys: tuple[str, str]) -> None:
    """Encrypt into a pipe while decrypting out of it: nothing may grow with the stream."""
    size = 200 * 1024 * 1024
    source, sink = _PatternSource(size), _HashingSink()
    read_fd, write_fd = os.pipe()
    errors: list[BaseException] = []

    def produce() -> None:
        try:
            with os.fdopen(write_fd, "wb") as pipe_in:
                encrypt_stream(cast(BinaryIO, source), pipe_in, [keys[1]])
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    started = time.monotonic()
    tracemalloc.start()
    try:
        producer = threading.Thread(target=produce)
        producer.start()
        with os.fdopen(read_fd, "rb") as pipe_out:
            decrypt_stream(pipe_out, cast(BinaryIO, sink), [keys[0]])
        producer.join()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not errors
    assert sink.size == size and sink.digest.digest() == source.digest.digest()
    assert peak < 5 * 1024 * 1024, f"peak Python allocations {peak / 1e6:.1f} MB"
    assert time.monotonic() - started < 30


# --- translations -----------------------------------------------------------------------------


def test_every_message_has_an_english_translation() -> None:
    english = parse_po(po_path("en").read_text(encoding="utf-8"))
    tree = ast.parse(Path(agecrypt.__file__).read_text(encoding="utf-8"))
    messages = [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_"
        and isinstance(node.args[0], ast.Constant)
    ]
    assert len(messages) > 10
    assert [m for m in messages if m not in english] == []
