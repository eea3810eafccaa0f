"""Bech32 (BIP 173) encoding, as age uses it for its key strings.

age writes recipients as ``age1...`` and identities as ``AGE-SECRET-KEY-1...`` with the original
Bech32 checksum (not Bech32m) and without BIP 173's 90-character limit, so we carry our own small
codec instead of a Bitcoin-flavoured library that would enforce that limit.
"""

from __future__ import annotations

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_CHARSET_INDEX = {c: i for i, c in enumerate(CHARSET)}
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


class Bech32Error(ValueError):
    """The string is not valid Bech32; the message says why (for logs, not for users)."""


def _polymod(values: list[int]) -> int:
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i, gen in enumerate(_GENERATOR):
            if (top >> i) & 1:
                chk ^= gen
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data: bytes | list[int], from_bits: int, to_bits: int, pad: bool) -> list[int]:
    acc = 0
    bits = 0
    out: list[int] = []
    maxv = (1 << to_bits) - 1
    for value in data:
        if value < 0 or value >> from_bits:
            raise Bech32Error("value out of range")
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & maxv)
    elif bits >= from_bits or ((acc << (to_bits - bits)) & maxv):
        raise Bech32Error("non-zero padding")
    return out


def encode(hrp: str, data: bytes) -> str:
    """Encode bytes under a human-readable part; the result is lowercase."""
    hrp = hrp.lower()
    words = _convert_bits(data, 8, 5, pad=True)
    polymod = _polymod(_hrp_expand(hrp) + words + [0] * 6) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[w] for w in words + checksum)


def decode(text: str) -> tuple[str, bytes]:
    """Return (hrp, data). The hrp keeps the case it was written in, so callers can insist on it."""
    if text.lower() != text and text.upper() != text:
        raise Bech32Error("mixed case")
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text):
        raise Bech32Error("separator misplaced")
    hrp = text[:pos]
    if any(ord(c) < 33 or ord(c) > 126 for c in hrp):
        raise Bech32Error("invalid character in hrp")
    lowered = text.lower()
    try:
        words = [_CHARSET_INDEX[c] for c in lowered[pos + 1 :]]
    except KeyError as exc:
        raise Bech32Error("invalid character in data") from exc
    if _polymod(_hrp_expand(hrp.lower()) + words) != 1:
        raise Bech32Error("invalid checksum")
    return hrp, bytes(_convert_bits(words[:-6], 5, 8, pad=False))
