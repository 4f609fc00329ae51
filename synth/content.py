"""Field content for forms, receipts, cards and tables: names, addresses, dates, items, money.

Faker supplies locale-true content for about 60 languages (seeded per page through
`Faker.seed_instance`, never the global seed); every other language falls back to words from its
own corpus text plus digits, so a Yoruba receipt is still in Yoruba script. Every string is
returned exactly as it will be drawn; money is kept as integer minor units next to its drawn
text so amounts add up exactly and `parse_amount` can read a drawn string back.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from synth.linebreak import break_segments
from synth.memo import language_lru

# Faker locale per primary language subtag (first choice), and the script it writes in.
_FAKER_LOCALE = {
    "am": "am_ET", "ar": "ar_SA", "az": "az_AZ", "bg": "bg_BG", "bn": "bn_BD", "bs": "bs_BA",
    "cs": "cs_CZ", "da": "da_DK", "de": "de_DE", "el": "el_GR", "en": "en_US", "es": "es_ES",
    "et": "et_EE", "fa": "fa_IR", "fi": "fi_FI", "fil": "fil_PH", "fr": "fr_FR", "ga": "ga_IE",
    "gu": "gu_IN", "ha": "ha_NG", "he": "he_IL", "hi": "hi_IN", "hr": "hr_HR", "hu": "hu_HU",
    "hy": "hy_AM", "id": "id_ID", "ig": "ig_NG", "is": "is_IS", "it": "it_IT", "ja": "ja_JP",
    "ka": "ka_GE", "ko": "ko_KR", "lb": "lb_LU", "lt": "lt_LT", "lv": "lv_LV", "mk": "mk_MK",
    "mr": "mr_IN", "mt": "mt_MT", "ne": "ne_NP", "nl": "nl_NL", "nb": "no_NO", "no": "no_NO",
    "or": "or_IN", "pl": "pl_PL", "pt": "pt_BR", "ro": "ro_RO", "ru": "ru_RU", "si": "si_LK",
    "sk": "sk_SK", "sl": "sl_SI", "sq": "sq_AL", "sv": "sv_SE", "sw": "sw", "ta": "ta_IN",
    "th": "th_TH", "tl": "tl_PH", "tr": "tr_TR", "uk": "uk_UA", "uz": "uz_UZ", "vi": "vi_VN",
    "yo": "yo_NG", "zu": "zu_ZA", "zh-Hans": "zh_CN", "zh-Hant": "zh_TW", "pt-PT": "pt_PT",
    "en-GB": "en_GB", "fr-CA": "fr_CA",
}
_NON_LATIN_FAKER = {
    "am": "Ethi", "ar": "Arab", "bg": "Cyrl", "bn": "Beng", "el": "Grek", "fa": "Arab",
    "gu": "Gujr", "he": "Hebr", "hi": "Deva", "hy": "Armn", "ja": "Jpan", "ka": "Geor",
    "ko": "Hang", "mk": "Cyrl", "mr": "Deva", "ne": "Deva", "or": "Orya", "ru": "Cyrl",
    "si": "Sinh", "ta": "Taml", "th": "Thai", "uk": "Cyrl", "zh": "Hans",
}

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

_DATE_PATTERNS = {
    "en": ("%m/%d/%Y", "%Y-%m-%d"), "ru": ("%d.%m.%Y",), "de": ("%d.%m.%Y",), "uk": ("%d.%m.%Y",),
    "ja": ("%Y/%m/%d", "%Y年%m月%d日"), "zh": ("%Y-%m-%d", "%Y年%m月%d日"), "ko": ("%Y. %m. %d.",),
    "fr": ("%d/%m/%Y",), "hu": ("%Y.%m.%d.",), "pl": ("%d.%m.%Y",), "cs": ("%d.%m.%Y",),
}


def primary(language: str) -> str:
    return language.split("-")[0].lower()


def faker_locale(language: str, script: str) -> str | None:
    """The Faker locale for a BCP 47 code, or None when Faker has none in the page's script."""
    locale = _FAKER_LOCALE.get(language) or _FAKER_LOCALE.get(primary(language))
    if locale is None:
        return None
    lang = primary(language)
    expected = _NON_LATIN_FAKER.get(lang, "Latn")
    if lang == "zh":
        expected = "Hant" if locale == "zh_TW" else "Hans"
    return locale if expected == script else None


@lru_cache(maxsize=128)
def _has_lorem(locale: str) -> bool:
    """Faker falls back to Latin lorem ipsum where a locale has no word list of its own."""
    import importlib.util

    return importlib.util.find_spec(f"faker.providers.lorem.{locale}") is not None


# The Faker providers Content calls (name, company, address, city, phone_number, email, word),
# plus the ones their templates reach into (emails carry years, fil_PH addresses mountains).
# Building a Faker with only these is ~30x cheaper than with all of them (a first page in a new
# locale paid ~20 ms), and every output is identical: tests/test_synth_scenes_content.py
# compares them with a full Faker.
FAKER_PROVIDERS = tuple(f"faker.providers.{name}" for name in (
    "person", "company", "address", "phone_number", "internet", "lorem", "date_time", "misc"))


# Locale packages of each Faker provider, listed once per process. Faker lists them again for
# every new locale (pkgutil lists each locale directory: ~10 ms per locale, paid by every worker
# for each of its languages); the listing cannot change while a worker runs.
_PROVIDER_LOCALES: dict[str, list[str]] = {}


def _locales_listed_once(module: Any) -> list[str]:
    from faker.utils.loading import list_module

    names = _PROVIDER_LOCALES.get(module.__name__)
    if names is None:
        names = _PROVIDER_LOCALES[module.__name__] = list_module(module)
    return list(names)


@language_lru  # one Faker per locale, for the languages a worker used last
def _faker(locale: str) -> Any:
    from faker import Faker, factory

    listing = factory.list_module
    factory.list_module = _locales_listed_once  # only while this Faker is built
    try:
        return Faker(locale, providers=list(FAKER_PROVIDERS))
    finally:
        factory.list_module = listing


_CJK = ("Hans", "Hant", "Jpan", "Hani")


def _strip_punctuation(segment: str) -> str:
    """A break segment without its trailing space and word separators (Ethiopic ፡ is one)."""
    start, end = 0, len(segment)
    while start < end and unicodedata.category(segment[start])[0] in "PZ":
        start += 1
    while end > start and unicodedata.category(segment[end - 1])[0] in "PZ":
        end -= 1
    return segment[start:end]


@language_lru  # like RenderContext.memo: a worker's recent languages
def corpus_words(language: str, script: str, text: str) -> tuple[str, ...]:
    """Distinct word-like pieces of a corpus text, free of digits and punctuation.

    Spaced scripts split at spaces (ICU breaks Hangul between syllables); Thai, Khmer, Lao and
    Myanmar use ICU dictionary segments; CJK runs are cut into 2-3 character pieces.
    """
    from synth.linebreak import NO_SPACE_SCRIPTS

    # Categories per distinct character, once (a text has a few hundred), then C-level passes.
    distinct = set(text)
    letters_only = {ord(c): " " for c in distinct if unicodedata.category(c)[0] not in "LM"}
    rejected = frozenset(c for c in distinct if unicodedata.category(c)[0] in "PNSZC")
    if script in _CJK:
        pieces = []
        for run in text.translate(letters_only).split():
            pieces.extend(run[i : i + 2 + (i // 2) % 2] for i in range(0, len(run) - 1, 3))
    elif script in NO_SPACE_SCRIPTS:
        pieces = [_strip_punctuation(seg) for seg in break_segments(text, language)]
    else:
        pieces = text.translate(letters_only).split()
    seen: dict[str, None] = {}
    for word in pieces:
        if len(word) < 2 or len(word) > 24 or not rejected.isdisjoint(word):
            continue
        seen.setdefault(word, None)
    return tuple(seen)


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


class Content:
    """Locale content for one page: holds the seeded Faker and the page's Generator.

    `covers(text)` says whether the page's fonts draw every character; Faker output that fails
    it (e.g. a rare CJK name character) is replaced by corpus words, so nothing drawn is tofu.
    """

    def __init__(
        self,
        language: str,
        script: str,
        rng: np.random.Generator,
        words: Sequence[str],
        covers: Callable[[str], bool] = lambda _text: True,
        digits: str = "latin",
    ) -> None:
        self.language = language
        self.script = script
        self.rng = rng
        self.words = list(words) or ["ABC", "XYZ"]
        self.covers = covers
        self.digits = digits
        self.locale = faker_locale(language, script)
        self.fake = _faker(self.locale) if self.locale else None
        patterns = _DATE_PATTERNS.get(primary(language), ("%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d"))
        self.date_pattern = patterns[int(rng.integers(len(patterns)))]  # one format per page
        if self.fake is not None:
            self.fake.seed_instance(int(rng.integers(0, 2**31 - 1)))

    # -- helpers --------------------------------------------------------------------------
    def _pick_words(self, low: int, high: int) -> str:
        n = int(self.rng.integers(low, high + 1))
        picked = [self.words[int(i)] for i in self.rng.integers(0, len(self.words), n)]
        joiner = "" if self.script in (*_CJK, "Thai", "Khmr", "Laoo", "Mymr", "Tibt") else " "
        return joiner.join(picked)

    def _try(self, make: Callable[[], str], fallback: Callable[[], str]) -> str:
        if self.fake is not None:
            for _ in range(3):
                try:
                    text = " ".join(str(make()).split())  # Faker addresses hold newlines
                except AttributeError:  # this locale lacks the provider (tl_PH has no phones)
                    break
                if self.script != "Latn" and any("a" <= c.lower() <= "z" for c in text):
                    continue  # untranslated template pieces ("Inc", lorem words) in a non-Latin page
                if text and self.covers(text):
                    return text
        return fallback()

    def number(self, text: str) -> str:
        return to_digits(text, self.digits)

    # -- content --------------------------------------------------------------------------
    def person_name(self) -> str:
        return self._try(lambda: self.fake.name(), lambda: self._pick_words(2, 2))

    def company(self) -> str:
        return self._try(lambda: self.fake.company(), lambda: self._pick_words(1, 3))

    def address(self) -> str:
        def fallback() -> str:
            return f"{self._pick_words(1, 2)} {self.number(str(int(self.rng.integers(1, 200))))}"

        return self._try(lambda: self.fake.address(), fallback)

    def city(self) -> str:
        return self._try(lambda: self.fake.city(), lambda: self._pick_words(1, 1))

    def phone(self) -> str:
        def fallback() -> str:
            d = self.rng.integers(0, 10, 10)
            return self.number(f"+{d[0] + 1}{d[1]} {''.join(map(str, d[2:5]))} {''.join(map(str, d[5:]))}")

        text = self._try(lambda: self.fake.phone_number(), fallback)
        return self.number(text)

    def email(self) -> str:
        if self.fake is not None and self.script == "Latn":
            return self.fake.email()
        user = "".join(chr(97 + int(i)) for i in self.rng.integers(0, 26, int(self.rng.integers(4, 9))))
        host = ("mail", "post", "example", "office")[int(self.rng.integers(4))]
        return f"{user}@{host}.org"

    def word(self) -> str:
        if not (self.locale and _has_lorem(self.locale)):
            return self._pick_words(1, 1)
        return self._try(lambda: self.fake.word(), lambda: self._pick_words(1, 1))

    def item_name(self) -> str:
        if not (self.locale and _has_lorem(self.locale)):
            return self._pick_words(1, 2)

        def make() -> str:
            n = int(self.rng.integers(1, 3))
            joiner = "" if self.script in ("Hans", "Hant", "Jpan", "Thai") else " "
            return joiner.join(self.fake.word() for _ in range(n))

        return self._try(make, lambda: self._pick_words(1, 2))

    def text_phrase(self, low: int = 1, high: int = 4) -> str:
        return self._pick_words(low, high)

    def date(self, start_year: int = 2015, end_year: int = 2027) -> tuple[str, str]:
        """(drawn text, ISO date) of a date in the given years, in the page's date pattern."""
        start = dt.date(start_year, 1, 1).toordinal()
        day = dt.date.fromordinal(int(self.rng.integers(start, dt.date(end_year, 12, 31).toordinal())))
        text = self.number(day.strftime(self.date_pattern))
        if not self.covers(text):
            text = self.number(day.isoformat())
        return text, day.isoformat()

    def id_number(self, length: int = 9) -> str:
        digits = "".join(str(int(d)) for d in self.rng.integers(0, 10, length))
        letters = "".join(chr(65 + int(i)) for i in self.rng.integers(0, 26, 2))
        return letters + self.number(digits)


# Printed labels of forms, receipts and cards in the languages we can label truthfully; other
# languages take corpus words as labels (the field `kind` still says what the value is).
LABEL_KINDS = (
    "name", "date", "address", "phone", "email", "company", "city", "id_number", "birth_date",
    "total", "subtotal", "tax", "qty", "price", "amount", "item", "receipt", "cashier", "expiry",
    "form_title", "notes_title", "thanks",
)
_LABELS = {
    "en": "Name|Date|Address|Phone|Email|Company|City|ID number|Date of birth|Total|Subtotal|Tax|Qty|Price|Amount|Item|Receipt|Cashier|Expiry date|Application form|Notes|Thank you!",
    "ru": "ФИО|Дата|Адрес|Телефон|Эл. почта|Компания|Город|Номер документа|Дата рождения|Итого|Подытог|НДС|Кол-во|Цена|Сумма|Товар|Кассовый чек|Кассир|Действителен до|Заявление|Заметки|Спасибо за покупку!",
    "uk": "ПІБ|Дата|Адреса|Телефон|Ел. пошта|Компанія|Місто|Номер документа|Дата народження|Разом|Проміжний підсумок|ПДВ|К-сть|Ціна|Сума|Товар|Чек|Касир|Дійсний до|Заява|Нотатки|Дякуємо!",
    "de": "Name|Datum|Adresse|Telefon|E-Mail|Firma|Stadt|Ausweisnummer|Geburtsdatum|Gesamt|Zwischensumme|MwSt.|Menge|Preis|Betrag|Artikel|Quittung|Kassierer|Gültig bis|Antrag|Notizen|Vielen Dank!",
    "fr": "Nom|Date|Adresse|Téléphone|E-mail|Société|Ville|Numéro d'identité|Date de naissance|Total|Sous-total|TVA|Qté|Prix|Montant|Article|Reçu|Caissier|Date d'expiration|Formulaire de demande|Notes|Merci !",
    "es": "Nombre|Fecha|Dirección|Teléfono|Correo|Empresa|Ciudad|Número de documento|Fecha de nacimiento|Total|Subtotal|IVA|Cant.|Precio|Importe|Artículo|Recibo|Cajero|Vence|Solicitud|Notas|¡Gracias!",
    "pt": "Nome|Data|Endereço|Telefone|E-mail|Empresa|Cidade|Número do documento|Data de nascimento|Total|Subtotal|Imposto|Qtd.|Preço|Valor|Item|Recibo|Caixa|Validade|Formulário|Notas|Obrigado!",
    "it": "Nome|Data|Indirizzo|Telefono|E-mail|Azienda|Città|Numero documento|Data di nascita|Totale|Subtotale|IVA|Qtà|Prezzo|Importo|Articolo|Ricevuta|Cassiere|Scadenza|Modulo di domanda|Note|Grazie!",
    "pl": "Imię i nazwisko|Data|Adres|Telefon|E-mail|Firma|Miasto|Numer dokumentu|Data urodzenia|Suma|Suma częściowa|VAT|Ilość|Cena|Kwota|Towar|Paragon|Kasjer|Ważny do|Wniosek|Notatki|Dziękujemy!",
    "tr": "Ad Soyad|Tarih|Adres|Telefon|E-posta|Şirket|Şehir|Kimlik No|Doğum tarihi|Toplam|Ara toplam|KDV|Adet|Fiyat|Tutar|Ürün|Fiş|Kasiyer|Son geçerlilik|Başvuru formu|Notlar|Teşekkürler!",
    "vi": "Họ tên|Ngày|Địa chỉ|Điện thoại|Email|Công ty|Thành phố|Số CMND|Ngày sinh|Tổng cộng|Tạm tính|Thuế|SL|Đơn giá|Thành tiền|Mặt hàng|Hóa đơn|Thu ngân|Ngày hết hạn|Đơn đăng ký|Ghi chú|Cảm ơn quý khách!",
    "ar": "الاسم|التاريخ|العنوان|الهاتف|البريد الإلكتروني|الشركة|المدينة|رقم الهوية|تاريخ الميلاد|المجموع|المجموع الفرعي|الضريبة|الكمية|السعر|المبلغ|الصنف|إيصال|أمين الصندوق|تاريخ الانتهاء|استمارة طلب|ملاحظات|شكرا لكم",
    "fa": "نام|تاریخ|نشانی|تلفن|ایمیل|شرکت|شهر|شماره ملی|تاریخ تولد|جمع کل|جمع جزء|مالیات|تعداد|قیمت|مبلغ|کالا|رسید|صندوقدار|تاریخ انقضا|فرم درخواست|یادداشت‌ها|سپاس",
    "he": 'שם|תאריך|כתובת|טלפון|דוא"ל|חברה|עיר|מספר זהות|תאריך לידה|סה"כ|סכום ביניים|מע"מ|כמות|מחיר|סכום|פריט|קבלה|קופאי|תוקף|טופס בקשה|הערות|תודה!',
    "hi": "नाम|तारीख|पता|फ़ोन|ईमेल|कंपनी|शहर|पहचान संख्या|जन्म तिथि|कुल|उप-योग|कर|मात्रा|मूल्य|राशि|वस्तु|रसीद|कैशियर|समाप्ति तिथि|आवेदन पत्र|नोट्स|धन्यवाद!",
    "ja": "氏名|日付|住所|電話番号|メール|会社名|市区町村|番号|生年月日|合計|小計|消費税|数量|単価|金額|品名|領収書|担当|有効期限|申込書|メモ|ありがとうございました",
    "zh-Hans": "姓名|日期|地址|电话|电子邮件|公司|城市|证件号码|出生日期|合计|小计|税额|数量|单价|金额|商品|收据|收银员|有效期至|申请表|笔记|谢谢惠顾",
    "zh-Hant": "姓名|日期|地址|電話|電子郵件|公司|城市|證件號碼|出生日期|合計|小計|稅額|數量|單價|金額|商品|收據|收銀員|有效期至|申請表|筆記|謝謝惠顧",
    "ko": "이름|날짜|주소|전화번호|이메일|회사|도시|신분증 번호|생년월일|합계|소계|부가세|수량|단가|금액|품목|영수증|계산원|유효기간|신청서|메모|감사합니다",
    "th": "ชื่อ|วันที่|ที่อยู่|โทรศัพท์|อีเมล|บริษัท|เมือง|เลขประจำตัว|วันเกิด|รวม|รวมย่อย|ภาษี|จำนวน|ราคา|จำนวนเงิน|รายการ|ใบเสร็จรับเงิน|แคชเชียร์|วันหมดอายุ|แบบฟอร์มใบสมัคร|บันทึก|ขอบคุณ",
}


def labels(language: str, words: Sequence[str], rng: np.random.Generator) -> dict[str, str]:
    """Label text per kind for this language; corpus words where no translation is known.

    Fallback labels are distinct so that "Output the value of {key}" has one answer.
    """
    table = _LABELS.get(language) or _LABELS.get(primary(language))
    if table is not None:
        return dict(zip(LABEL_KINDS, table.split("|"), strict=True))
    pool = list(dict.fromkeys(words)) or ["ABC"]
    order = rng.permutation(len(pool))
    out: dict[str, str] = {}
    for i, kind in enumerate(LABEL_KINDS):
        out[kind] = pool[int(order[i % len(pool)])] if i < len(pool) else f"{pool[int(order[0])]} {i}"
    return out


def has_labels(language: str) -> bool:
    return language in _LABELS or primary(language) in _LABELS
