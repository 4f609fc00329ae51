"""Money and digits as a page draws them: native digits, currency formats, amounts read back.

Receipts, tables and tickets print prices; their labels must say exactly what is drawn, so an
amount is kept as integer minor units next to its drawn text (`format_money`), totals add up
exactly, and `parse_amount` reads a drawn string back. A script's own digits are used only
sometimes, and only when the page's fonts draw them (`choose_digits`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import numpy as np

from fonts_manifest.textsources import primary

# Money conventions: (symbol, ISO code, symbol after the number, decimal mark, group mark, decimals).
_MONEY = {
    "en": ("$", "USD", False, ".", ",", 2), "de": ("€", "EUR", True, ",", ".", 2),
    "fr": ("€", "EUR", True, ",", " ", 2), "es": ("€", "EUR", True, ",", ".", 2),
    "it": ("€", "EUR", True, ",", ".", 2), "nl": ("€", "EUR", False, ",", ".", 2),
    "pt": ("R$", "BRL", False, ",", ".", 2), "ru": ("₽", "RUB", True, ",", " ", 2),
    "uk": ("₴", "UAH", True, ",", " ", 2), "pl": ("zł", "PLN", True, ",", " ", 2),
    "tr": ("₺", "TRY", False, ",", ".", 2), "ja": ("¥", "JPY", False, ".", ",", 0),
    "zh": ("¥", "CNY", False, ".", ",", 2), "ko": ("₩", "KRW", False, ".", ",", 0),
    "hi": ("₹", "INR", False, ".", ",", 2), "bn": ("৳", "BDT", False, ".", ",", 2),
    "ar": ("ر.س", "SAR", True, "٫", "٬", 2), "fa": ("ریال", "IRR", True, "٫", "٬", 0),
    "ur": ("Rs", "PKR", False, ".", ",", 2), "he": ("₪", "ILS", True, ".", ",", 2),
    "th": ("฿", "THB", False, ".", ",", 2), "vi": ("₫", "VND", True, ",", ".", 0),
    "el": ("€", "EUR", True, ",", ".", 2), "id": ("Rp", "IDR", False, ",", ".", 0),
}
# Native decimal digits per script (zero code point); used when the page's fonts draw them.
_NATIVE_ZERO = {"Arab": 0x0660, "Deva": 0x0966, "Beng": 0x09E6, "Thai": 0x0E50, "Khmr": 0x17E0,
                "Mymr": 0x1040, "Laoo": 0x0ED0, "Tibt": 0x0F20, "Guru": 0x0A66, "Gujr": 0x0AE6,
                "Orya": 0x0B66, "Telu": 0x0C66, "Knda": 0x0CE6, "Mlym": 0x0D66}
_PERSIAN_ZERO = 0x06F0  # Persian and Urdu use the extended Arabic-Indic digits


def to_digits(text: str, digits: str) -> str:
    """Replace ASCII digits with a script's native digits ("latin" leaves the text alone)."""
    if digits == "latin":
        return text
    zero = _PERSIAN_ZERO if digits == "persian" else _NATIVE_ZERO[digits]
    return "".join(chr(zero + int(c)) if "0" <= c <= "9" else c for c in text)


def ascii_digits(text: str) -> str:
    """Any Unicode decimal digit back to ASCII (the reverse of `to_digits`)."""
    return "".join(str(unicodedata.decimal(c)) if unicodedata.decimal(c, None) is not None else c for c in text)


def money_format(language: str, script: str, rng: np.random.Generator, digits: str) -> dict[str, Any]:
    """How money is drawn on this page (a JSON record)."""
    lang = primary(language)
    symbol, code, after, dec, group, decimals = _MONEY.get(
        lang, ("€", "EUR", True, ",", ".", 2) if rng.random() < 0.5 else ("$", "USD", False, ".", ",", 2)
    )
    if digits == "latin" and dec in ("٫", "٬"):
        dec, group = ".", ","
    if rng.random() < 0.25:
        symbol = code  # receipts often print the ISO code instead of a symbol
    return {"symbol": symbol, "code": code, "after": after, "decimal": dec, "group": group,
            "decimals": decimals, "digits": digits}


def format_money(minor: int, fmt: dict[str, Any], with_symbol: bool = True) -> str:
    """Integer minor units (cents) to the string drawn on the page."""
    decimals = int(fmt["decimals"])
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(int(minor)), 10**decimals) if decimals else (abs(int(minor)), 0)
    grouped = f"{whole:,}".replace(",", fmt["group"])
    number = grouped + (fmt["decimal"] + f"{frac:0{decimals}d}" if decimals else "")
    number = sign + to_digits(number, fmt["digits"])
    if not with_symbol:
        return number
    if fmt["after"]:
        return f"{number} {fmt['symbol']}"
    spaced = len(fmt["symbol"]) > 1 and fmt["symbol"].isalpha()  # "USD 12.50", "Rs 40", but "$12.50"
    return f"{fmt['symbol']} {number}" if spaced else f"{fmt['symbol']}{number}"


def parse_amount(text: str, fmt: dict[str, Any]) -> int:
    """Read a drawn money string back to integer minor units."""
    body = ascii_digits(text.replace(fmt["symbol"], "").replace(fmt["code"], ""))
    body = body.replace(fmt["group"], "").replace(" ", "").replace(fmt["decimal"], ".")
    keep = "".join(c for c in body if c.isdigit() or c in ".-")
    value = keep.split(".")
    whole = int(value[0] or 0)
    frac = value[1] if len(value) > 1 else ""
    decimals = int(fmt["decimals"])
    return whole * 10**decimals + (int(frac.ljust(decimals, "0")[:decimals]) if decimals else 0)


def choose_digits(script: str, rng: np.random.Generator, covers: Callable[[str], bool], language: str,
                  native_probability: float = 0.3) -> str:
    """Latin digits mostly; the script's own digits sometimes, when the fonts draw them."""
    if primary(language) in ("fa", "ur") and script == "Arab":
        name = "persian"
    elif script in _NATIVE_ZERO:
        name = script
    else:
        return "latin"
    if rng.random() >= native_probability or not covers(to_digits("0123456789", name)):
        return "latin"
    return name
