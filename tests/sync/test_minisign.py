"""minisign: our signatures against the stock ``minisign`` tool, both ways, and every refusal."""

from __future__ import annotations

import ast
import base64
import hashlib
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from desktop.core.i18n import parse_po, po_path
from desktop.sync import minisign
from desktop.sync.minisign import (
    BadSignatureError,
    MinisignError,
    PublicKey,
    SigningKey,
    WrongKeyError,
    generate_keypair,
    verify,
)

requires_minisign = pytest.mark.skipif(
    shutil.which("minisign") is None,
    reason="stock minisign not installed (CI installs Debian's minisign package)",
)


def _stock_verify(
    pub: Path, file: Path, sig: Path | None = None
) -> subprocess.CompletedProcess[str]:
    command = ["minisign", "-V", "-p", str(pub), "-m", str(file)]
    if sig is not None:
        command += ["-x", str(sig)]
    return subprocess.run(command, capture_output=True, text=True, timeout=30)


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return generate_keypair()


@pytest.fixture()
def stock_key(tmp_path: Path) -> tuple[Path, Path]:
    """A key pair made by ``minisign -G -W`` (no password)."""
    pub, sec = tmp_path / "stock.pub", tmp_path / "stock.key"
    subprocess.run(
        ["minisign", "-G", "-W", "-p", str(pub), "-s", str(sec)],
        capture_output=True,
        check=True,
        timeout=30,
    )
    return pub, sec


# --- keys -------------------------------------------------------------------------------------


def test_public_key_string_and_pub_file(key: SigningKey) -> None:
    text = str(key.public_key)
    assert text.startswith("RW") and len(base64.b64decode(text)) == 42
    pub_file = key.public_key.pub_file_text()
    assert pub_file == f"untrusted comment: minisign public key {key.key_id_hex}\n{text}\n"
    assert 1 <= len(key.key_id_hex) <= 16 and int(key.key_id_hex, 16) == int.from_bytes(
        key.key_id, "little"
    )
    assert PublicKey.from_string(text) == key.public_key
    assert PublicKey.from_string(pub_file) == key.public_key
    assert generate_keypair().key_id != key.key_id


@requires_minisign
def test_key_id_is_printed_as_minisign_prints_it(stock_key: tuple[Path, Path]) -> None:
    pub_text = stock_key[0].read_text()
    printed = pub_text.splitlines()[0].rsplit(" ", 1)[1]
    assert PublicKey.from_string(pub_text).key_id_hex == printed


@pytest.mark.parametrize(
    "text", ["", "RW", "not base64 !!", base64.b64encode(b"Ed" + bytes(30)).decode(), "RWQ=\nRWQ="]
)
def test_bad_public_keys_are_refused(text: str) -> None:
    with pytest.raises(MinisignError, match="不是有效的 minisign 公钥"):
        PublicKey.from_string(text)


def test_dict_export_round_trips_and_checks_itself(key: SigningKey) -> None:
    exported = key.to_dict()
    assert set(exported) == {"key_id", "secret_b64", "public"}
    assert exported["key_id"] == key.key_id_hex and exported["public"] == str(key.public_key)
    again = SigningKey.from_dict(exported)
    assert verify(b"x", again.sign(b"x", "t"), key.public_key).key_id == key.key_id_hex
    other = generate_keypair().to_dict()
    for broken in (
        {**exported, "public": other["public"]},
        {**exported, "key_id": other["key_id"]},
        {**exported, "secret_b64": other["secret_b64"]},
        {**exported, "secret_b64": "AAAA"},
        {"key_id": exported["key_id"]},
    ):
        with pytest.raises(MinisignError, match="签名私钥数据"):
            SigningKey.from_dict(broken)


def test_secret_key_file_is_private_and_round_trips(tmp_path: Path, key: SigningKey) -> None:
    path = tmp_path / "device.key"
    key.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SigningKey.load(path).to_dict() == key.to_dict()
    key.save(path)  # overwriting keeps it private and leaves no temp files
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["device.key"]


def test_damaged_or_protected_secret_key_files_are_refused(tmp_path: Path, key: SigningKey) -> None:
    lines = key.secret_file_text().splitlines()
    blob = bytearray(base64.b64decode(lines[1]))
    damaged = bytearray(blob)
    damaged[100] ^= 1  # inside the secret: no longer matches its public half and checksum
    protected = bytearray(blob)
    protected[2:4] = b"Sc"
    cases = {
        "签名私钥文件已损坏": base64.b64encode(damaged).decode(),
        "设有密码": base64.b64encode(protected).decode(),
        "不是有效的 minisign 私钥文件": base64.b64encode(blob[:-1]).decode(),
    }
    for message, line in cases.items():
        with pytest.raises(MinisignError, match=message):
            SigningKey.from_secret_file_text(f"{lines[0]}\n{line}\n")
    with pytest.raises(MinisignError, match="不是有效的 minisign 私钥文件"):
        SigningKey.from_secret_file_text(str(key.public_key))
    garbage = tmp_path / "garbage.key"
    garbage.write_bytes("中文".encode())
    with pytest.raises(MinisignError):
        SigningKey.load(garbage)


# --- interoperability -------------------------------------------------------------------------


@requires_minisign
def test_stock_minisign_verifies_our_signatures(tmp_path: Path, key: SigningKey) -> None:
    pub = tmp_path / "device.pub"
    pub.write_text(key.public_key.pub_file_text())
    small = tmp_path / "manifest.json"
    small.write_bytes(b'{"bundle": 1}')
    (tmp_path / "manifest.json.minisig").write_text(key.sign(small.read_bytes(), "设备 甲 第1包"))
    result = _stock_verify(pub, small)
    assert result.returncode == 0, result.stderr
    assert "设备 甲 第1包" in result.stdout

    big = tmp_path / "big.bin"
    big.write_bytes(hashlib.shake_256(b"big").digest(3 * 1024 * 1024 + 7))
    (tmp_path / "big.bin.minisig").write_text(key.sign_file(big))
    result = _stock_verify(pub, big)
    assert result.returncode == 0, result.stderr
    assert "file:big.bin" in result.stdout
    # a path given to sign() is hashed as a file too
    (tmp_path / "by_path.minisig").write_text(key.sign(big, "by path"))
    assert _stock_verify(pub, big, tmp_path / "by_path.minisig").returncode == 0

    # the stock tool can fail: a changed file is refused (so the passes above mean something)
    big.write_bytes(big.read_bytes()[:-1] + b"!")
    assert _stock_verify(pub, big).returncode != 0


@requires_minisign
def test_we_verify_stock_signatures(tmp_path: Path, stock_key: tuple[Path, Path]) -> None:
    pub, sec = stock_key
    data = tmp_path / "data.bin"
    data.write_bytes(b"county rules 2026\n" * 1000)
    for flags, prehashed in ((["-t", "规则文件 v3"], True), (["-l", "-t", "legacy"], False)):
        subprocess.run(
            ["minisign", "-S", "-s", str(sec), "-m", str(data), *flags],
            capture_output=True,
            check=True,
            timeout=30,
        )
        signature = (tmp_path / "data.bin.minisig").read_text()
        result = verify(data, signature, pub.read_text())
        assert result.trusted_comment == flags[-1] and result.prehashed is prehashed
        assert result.key_id == PublicKey.from_string(pub.read_text()).key_id_hex
        assert verify(data.read_bytes(), signature.encode(), pub.read_text()) == result
        with pytest.raises(BadSignatureError):
            verify(data.read_bytes() + b"x", signature, pub.read_text())


@requires_minisign
def test_keys_move_between_us_and_the_stock_tool(
    tmp_path: Path, stock_key: tuple[Path, Path], key: SigningKey
) -> None:
    pub, sec = stock_key
    loaded = SigningKey.load(sec)
    assert loaded.public_key == PublicKey.from_string(pub.read_text())
    data = tmp_path / "a.txt"
    data.write_text("signed with a stock key by our code")
    (tmp_path / "a.txt.minisig").write_text(loaded.sign_file(data))
    assert _stock_verify(pub, data).returncode == 0

    ours = tmp_path / "ours.key"
    key.save(ours)
    subprocess.run(
        ["minisign", "-S", "-s", str(ours), "-m", str(data), "-t", "stock tool, our key"],
        capture_output=True,
        check=True,
        timeout=30,
    )
    result = verify(data, (tmp_path / "a.txt.minisig").read_text(), key.public_key)
    assert result.trusted_comment == "stock tool, our key"
    recreated = tmp_path / "recreated.pub"
    subprocess.run(
        ["minisign", "-R", "-s", str(ours), "-p", str(recreated)],
        capture_output=True,
        check=True,
        timeout=30,
    )
    assert PublicKey.from_string(recreated.read_text()) == key.public_key


# --- refusals ---------------------------------------------------------------------------------


def _replace_line(signature: str, index: int, line: str) -> str:
    lines = signature.splitlines()
    lines[index] = line
    return "\n".join(lines) + "\n"


def test_signature_from_another_key_is_told_apart(key: SigningKey) -> None:
    signature = generate_keypair().sign(b"data", "t")
    with pytest.raises(WrongKeyError, match="另一台设备或另一把钥匙"):
        verify(b"data", signature, key.public_key)


def test_forged_key_id_does_not_help(key: SigningKey) -> None:
    impostor = SigningKey(key.key_id, generate_keypair()._private)
    with pytest.raises(BadSignatureError, match="签名与内容不符"):
        verify(b"data", impostor.sign(b"data", "t"), key.public_key)


def test_changed_data_signature_or_trusted_comment_is_refused(key: SigningKey) -> None:
    signature = key.sign(b"the manifest", "seq 1-9")
    assert verify(b"the manifest", signature, str(key.public_key)).trusted_comment == "seq 1-9"
    with pytest.raises(BadSignatureError, match="签名与内容不符"):
        verify(b"the manifesT", signature, key.public_key)
    with pytest.raises(BadSignatureError, match="可信注释已被篡改"):
        verify(
            b"the manifest",
            _replace_line(signature, 2, "trusted comment: seq 1-99"),
            key.public_key,
        )
    blob = bytearray(base64.b64decode(signature.splitlines()[1]))
    blob[20] ^= 1
    with pytest.raises(BadSignatureError):
        verify(
            b"the manifest",
            _replace_line(signature, 1, base64.b64encode(blob).decode()),
            key.public_key,
        )
    global_sig = bytearray(base64.b64decode(signature.splitlines()[3]))
    global_sig[0] ^= 1
    with pytest.raises(BadSignatureError, match="可信注释"):
        verify(
            b"the manifest",
            _replace_line(signature, 3, base64.b64encode(global_sig).decode()),
            key.public_key,
        )
    # the untrusted comment is, as its name says, not covered
    edited = _replace_line(signature, 0, "untrusted comment: anything at all")
    assert verify(b"the manifest", edited, key.public_key).trusted_comment == "seq 1-9"


def test_malformed_signature_text_is_refused(key: SigningKey) -> None:
    good = key.sign(b"data", "t")
    lines = good.splitlines()
    blob = base64.b64decode(lines[1])
    broken = [
        "",
        "garbage",
        "\n".join(lines[:3]),
        good + "extra line\n",
        _replace_line(good, 0, "comment: missing prefix"),
        _replace_line(good, 2, "t"),
        _replace_line(good, 1, "!!!!"),
        _replace_line(good, 1, base64.b64encode(b"Xx" + blob[2:]).decode()),
        _replace_line(good, 1, base64.b64encode(blob[:-1]).decode()),
        _replace_line(good, 3, "AAAA"),
    ]
    for text in broken:
        with pytest.raises(MinisignError, match="签名文件格式错误"):
            verify(b"data", text, key.public_key)
    with pytest.raises(MinisignError, match="签名文件格式错误"):
        verify(b"data", b"\xff\xfe not utf-8", key.public_key)
    # Windows line endings are tolerated
    assert verify(b"data", good.replace("\n", "\r\n"), key.public_key).trusted_comment == "t"


def test_comments_that_would_break_the_format_are_refused(key: SigningKey) -> None:
    with pytest.raises(MinisignError, match="换行"):
        key.sign(b"x", "two\nlines")
    with pytest.raises(MinisignError, match="太长"):
        key.sign(b"x", "长" * 3000)
    assert verify(b"x", key.sign(b"x", "长" * 2000), key.public_key).trusted_comment == "长" * 2000


def test_default_trusted_comment_names_time_and_file(tmp_path: Path, key: SigningKey) -> None:
    path = tmp_path / "bundle.zip"
    path.write_bytes(os.urandom(100))
    result = verify(path, key.sign(path), key.public_key)
    assert result.trusted_comment.startswith("timestamp:")
    assert "\tfile:bundle.zip" in result.trusted_comment
    assert verify(b"y", key.sign(b"y"), key.public_key).trusted_comment.startswith("timestamp:")


def test_every_message_has_an_english_translation() -> None:
    english = parse_po(po_path("en").read_text(encoding="utf-8"))
    tree = ast.parse(Path(minisign.__file__).read_text(encoding="utf-8"))
    messages = [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_"
        and isinstance(node.args[0], ast.Constant)
    ]
    assert len(messages) > 8
    assert [m for m in messages if m not in english] == []


def test_key_ids_with_leading_zeros_print_as_minisign_does() -> None:
    """minisign prints key ids with PRIX64 (no zero padding); ours must read the same."""
    from desktop.sync.minisign import _key_id_hex

    assert _key_id_hex(bytes([0x19, 0xB5, 0, 0, 0, 0, 0, 0])) == "B519"
    assert (
        _key_id_hex(bytes([0x19, 0xB5, 0xD1, 0xA0, 0x6B, 0x9E, 0x90, 0x6C])) == "6C909E6BA0D1B519"
    )
