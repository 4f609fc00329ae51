"""`ticket`: train, plane (boarding pass), cinema and parking tickets lying on a surface.

Every value is a typed field (key line + value line, as receipts and forms record them), so
"Output the value of {key}" and JSON extraction work; the issue date and the travel date go to
`extras["dates"]` (date difference / which is earlier), and fares are integer minor units until
drawn, with fare + fees = total in `extras["items"]`/`extras["total"]` (sum and total checks).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fonts_manifest.textsources import primary
from synth.money import format_money
from synth.render import sample_background
from synth.rng import child_rng
from synth.scenes import kit
from synth.scenes.builder import Builder
from synth.scenes.stage import apply_stage

KINDS = ("train", "plane", "cinema", "parking")
KEYS = ("from", "to", "date", "time", "seat", "gate", "flight", "train", "carriage", "row", "hall",
        "film", "passenger", "plate", "entry", "exit", "fare", "fee", "total", "issued", "ticket")
_KEYS = {
    "en": "From|To|Date|Time|Seat|Gate|Flight|Train|Coach|Row|Hall|Film|Passenger|Plate|Entry|Exit|Fare|Service fee|Total|Issued|Ticket No.",
    "ru": "Откуда|Куда|Дата|Время|Место|Выход|Рейс|Поезд|Вагон|Ряд|Зал|Фильм|Пассажир|Госномер|Въезд|Выезд|Тариф|Сервисный сбор|Итого|Выдан|Билет №",
    "ar": "من|إلى|التاريخ|الوقت|المقعد|البوابة|الرحلة|القطار|العربة|الصف|القاعة|الفيلم|المسافر|رقم اللوحة|الدخول|الخروج|الأجرة|رسوم الخدمة|المجموع|تاريخ الإصدار|رقم التذكرة",
    "zh-Hans": "出发|到达|日期|时间|座位|登机口|航班|车次|车厢|排|影厅|影片|乘客|车牌号|入场|离场|票价|服务费|合计|出票日期|票号",
    "zh-Hant": "出發|到達|日期|時間|座位|登機門|航班|車次|車廂|排|影廳|影片|乘客|車牌號碼|入場|離場|票價|服務費|合計|開票日期|票號",
    "hi": "से|तक|तारीख|समय|सीट|गेट|उड़ान|ट्रेन|डिब्बा|पंक्ति|हॉल|फ़िल्म|यात्री|वाहन संख्या|प्रवेश|निकास|किराया|सेवा शुल्क|कुल|जारी|टिकट संख्या",
    "th": "ต้นทาง|ปลายทาง|วันที่|เวลา|ที่นั่ง|ประตู|เที่ยวบิน|ขบวนรถ|ตู้|แถว|โรง|ภาพยนตร์|ผู้โดยสาร|ทะเบียนรถ|เข้า|ออก|ค่าโดยสาร|ค่าบริการ|รวม|ออกตั๋ว|เลขที่ตั๋ว",
    "de": "Von|Nach|Datum|Zeit|Platz|Gate|Flug|Zug|Wagen|Reihe|Saal|Film|Fahrgast|Kennzeichen|Einfahrt|Ausfahrt|Fahrpreis|Servicegebühr|Gesamt|Ausgestellt|Ticket-Nr.",
    "fr": "De|À|Date|Heure|Place|Porte|Vol|Train|Voiture|Rang|Salle|Film|Passager|Immatriculation|Entrée|Sortie|Tarif|Frais de service|Total|Émis le|Billet n°",
    "es": "Origen|Destino|Fecha|Hora|Asiento|Puerta|Vuelo|Tren|Coche|Fila|Sala|Película|Pasajero|Matrícula|Entrada|Salida|Tarifa|Cargo por servicio|Total|Emitido|Billete n.º",
    "ja": "出発|到着|日付|時刻|座席|搭乗口|便名|列車|号車|列|スクリーン|作品|乗客|ナンバー|入庫|出庫|運賃|手数料|合計|発行日|券番号",
    "ko": "출발|도착|날짜|시간|좌석|탑승구|항공편|열차|호차|열|상영관|영화|승객|차량번호|입차|출차|요금|수수료|합계|발행일|승차권 번호",
}


def _keys(b: Builder) -> dict[str, str]:
    table = _KEYS.get(b.code) or _KEYS.get(primary(b.code))
    if table is not None:
        return dict(zip(KEYS, table.split("|"), strict=True))
    words = list(dict.fromkeys(b.source.words))
    order = b.rng.permutation(len(words))
    return {k: (words[int(order[i])] if i < len(words) else f"{words[int(order[0])]} {i}")
            for i, k in enumerate(KEYS)}


def _clock(b: Builder, rng: np.random.Generator) -> tuple[str, int]:
    minutes = int(rng.integers(5 * 60, 23 * 60))
    return b.digits(f"{minutes // 60:02d}:{minutes % 60:02d}"), minutes


def sample(spec: Any, rng: np.random.Generator, ctx: Any) -> dict[str, Any]:
    width, height = int(spec.width), int(spec.height)
    font = spec.font_style or kit.pick(rng, ("sans", "sans", "serif"))
    kind = kit.option(spec, "kind", kit.pick(rng, KINDS), KINDS)
    paper = sample_background(child_rng(rng, "paper"), width, height, tuple(spec.backgrounds))
    if paper.get("kind") == "paper" and not paper["paper"].get("background"):
        paper["paper"]["tint"] = [float(v) for v in rng.integers([100, 95, 90], [200, 190, 185])]
        paper["paper"]["ruling"]["kind"] = "none"
    tw = width * float(rng.uniform(0.8, 0.94))
    size = float(np.clip(tw / rng.uniform(30, 40), 12, 60))
    top = float(rng.uniform(0.04, 0.3)) * height
    for _ in range(6):  # tall scripts or small pages: shrink until the ticket fits the page
        b = Builder(spec, child_rng(rng, "layout"), ctx, width, height, font)
        extras = _layout(b, kind, (width - tw) / 2, top, tw, size)
        if b.graphics[1]["box"][3] <= height * 0.98:
            break
        size *= 0.85
        top = min(top, height * 0.04)
    return b.record({"kind": "surface", "record": paper}, kind=kind, scene_group="receipt/card",
                    extras=extras)


def _layout(b: Builder, kind: str, x0: float, y0: float, tw: float, size: float) -> dict[str, Any]:
    """Lay a ticket out from its top-left; the card's shapes go first, sized to the content."""
    rng = b.rng
    keys = _keys(b)
    accent = kit.pick(rng, ((20, 60, 130), (170, 30, 40), (20, 110, 80), (90, 40, 130), (220, 110, 0)))
    ink = kit.pick(rng, kit.PRINT_INKS)
    band = size * 2.6
    stub = x0 + tw * 0.72
    title = b.fit(b.source.company(), size * 1.3, stub - x0 - size * 2, bold=True)
    b.block("title", [b.text_box(title, kit.box(x0 + size, y0, stub, y0 + band), size * 1.3,
                                 colour=[255, 255, 255], role="title", bold=True)])
    grid = _Grid(b, x0 + size, stub - size, y0 + band + size * 0.6, size, ink, accent)
    date, date_iso = b.source.date(2025, 2027)
    issued, issued_iso = b.source.date(2024, 2025)
    dates = [{"key": keys["date"], "text": date, "iso": date_iso}]
    if kind in ("train", "plane"):
        grid.row([("from", b.source.city()), ("to", b.source.city())], keys, big=True)
        grid.row([("date", date), ("time", _clock(b, rng)[0]),
                  ("flight" if kind == "plane" else "train", _code(b, rng, kind))], keys)
        seat = b.digits(str(int(rng.integers(1, 40)))) + "ABCDEF"[int(rng.integers(6))]
        grid.row([("seat", seat), ("gate" if kind == "plane" else "carriage", _gate(b, rng, kind)),
                  ("passenger", b.source.person_name())], keys)
    elif kind == "cinema":
        grid.row([("film", b.sentence(4))], keys, big=True)
        grid.row([("date", date), ("time", _clock(b, rng)[0]), ("hall", b.digits(str(int(rng.integers(1, 12)))))], keys)
        grid.row([("row", b.digits(str(int(rng.integers(1, 25))))), ("seat", b.digits(str(int(rng.integers(1, 30)))))], keys)
    else:
        plate = "".join(chr(65 + int(i)) for i in rng.integers(0, 26, 2)) + " " + b.digits(
            str(int(rng.integers(1000, 9999))))
        grid.row([("plate", plate)], keys, big=True)
        entry, minutes = _clock(b, rng)
        leave = min(23 * 60 + 59, minutes + int(rng.integers(10, 300)))
        grid.row([("date", date), ("entry", entry), ("exit", b.digits(f"{leave // 60:02d}:{leave % 60:02d}"))], keys)
    unit = 1 if b.money["decimals"] else 10
    fare, fee = int(rng.integers(300, 40000)) * unit, int(rng.integers(50, 900)) * unit
    items = [{"name": keys["fare"], "amount": format_money(fare, b.money, with_symbol=False)},
             {"name": keys["fee"], "amount": format_money(fee, b.money, with_symbol=False)}]
    total = format_money(fare + fee, b.money)
    grid.row([("fare", items[0]["amount"]), ("fee", items[1]["amount"]), ("total", total)], keys)
    if rng.random() < 0.7:
        grid.row([("issued", issued), ("ticket", b.source.id_number(8))], keys)
        dates.append({"key": keys["issued"], "text": issued, "iso": issued_iso})
    y1 = grid.y + size * 0.2
    card = [
        {"kind": "fill", "box": kit.box(x0 + 6, y0 + 6, x0 + tw + 6, y1 + 6), "colour": [60, 60, 60]},
        {"kind": "round", "box": kit.box(x0, y0, x0 + tw, y1), "radius": tw * 0.02,
         "colour": kit.pick(rng, ((252, 252, 250), (246, 242, 230), (240, 246, 252)))},
        {"kind": "round", "box": kit.box(x0, y0, x0 + tw, y0 + band), "radius": tw * 0.02, "colour": accent},
        {"kind": "fill", "box": kit.box(x0, y0 + band * 0.5, x0 + tw, y0 + band), "colour": accent},
        {"kind": "vdashes", "points": [[stub, y0 + band], [stub, y1]], "colour": list(ink), "step": size * 0.5},
    ]
    b.graphics[:0] = card
    b.region("ticket", kit.box(x0, y0, x0 + tw, y1), ticket=kind)
    _stub(b, rng, stub, x0 + tw, y0 + band, y1, size, ink, keys, date)
    return {"items": items, "total": total, "currency": b.money["code"], "dates": dates}


class _Grid:
    """Rows of (key above, value below) cells across the main part of the ticket."""

    def __init__(self, b: Builder, left: float, right: float, y: float, size: float, ink: list[int],
                 accent: list[int]) -> None:
        self.b, self.left, self.right, self.y, self.size, self.ink, self.accent = b, left, right, y, size, ink, accent

    def row(self, cells: list[tuple[str, str]], keys: dict[str, str], big: bool = False) -> None:
        b, size = self.b, self.size
        key_size, value_size = size * 0.72, size * (1.5 if big else 1.0)
        ka, kd = b.metrics(key_size)
        va, vd = b.metrics(value_size)
        cell_w = (self.right - self.left) / len(cells)
        for k, (name, value) in enumerate(cells):
            x = self.left + k * cell_w
            key_line = b.text(b.fit(keys[name], key_size, cell_w - size * 0.5), x, self.y + ka, key_size,
                              colour=[110, 110, 110], role="field-key")
            value_line = b.text(b.fit(value, value_size, cell_w - size * 0.5, bold=True), x,
                                self.y + ka + kd + size * 0.2 + va, value_size, colour=self.ink,
                                role="field-value", bold=True)
            b.field(key_line, value_line, "date" if name in ("date", "issued") else
                    "amount" if name in ("fare", "fee") else "total" if name == "total" else name)
        self.y += ka + kd + va + vd + size * 0.9


def _code(b: Builder, rng: np.random.Generator, kind: str) -> str:
    letters = "".join(chr(65 + int(i)) for i in rng.integers(0, 26, 2))
    number = b.digits(str(int(rng.integers(10, 9999))))
    return letters + " " + number if kind == "plane" else number


def _gate(b: Builder, rng: np.random.Generator, kind: str) -> str:
    if kind == "plane":
        return "ABCDE"[int(rng.integers(5))] + b.digits(str(int(rng.integers(1, 60))))
    return b.digits(str(int(rng.integers(1, 16))))


def _stub(b: Builder, rng: np.random.Generator, x0: float, x1: float, y0: float, y1: float, size: float,
          ink: list[int], keys: dict[str, str], date: str) -> None:
    """The tear-off stub: the date again and a barcode or QR-like code (a region)."""
    pad = size * 0.6
    small = size * 0.8
    a, d = b.metrics(small)
    b.block("note", [b.text(b.fit(date, small, x1 - x0 - 2 * pad), x0 + pad, y0 + pad + a, small,
                            colour=ink, role="note")])
    top = y0 + pad + a + d + size * 0.6
    side = min(x1 - x0 - 2 * pad, y1 - top - pad)
    if side < size * 2:
        return
    if rng.random() < 0.5:  # QR-like block of cells
        bits = ["".join("1" if v else "0" for v in row) for row in rng.random((21, 21)) < 0.5]
        b.shape("cells", box=kit.box(x0 + pad, top, x0 + pad + side, top + side), bits=bits, colour=list(ink))
        b.region("qr", kit.box(x0 + pad, top, x0 + pad + side, top + side))
        return
    x, end = x0 + pad, x1 - pad
    while x < end - 2:
        bar = float(rng.integers(1, 4)) * max(1.0, size / 14)
        b.shape("fill", box=kit.box(x, top, min(end, x + bar - 0.5), top + side * 0.6), colour=list(ink))
        x += bar + float(rng.integers(1, 4)) * max(1.0, size / 14)
    b.region("barcode", kit.box(x0 + pad, top, end, top + side * 0.6))


def apply(record: dict[str, Any], ctx: Any) -> Any:
    return apply_stage(record, ctx)
