"""Printed field labels ("Name", "Total", "Expiry date") of forms, receipts and cards.

Translated by hand for the languages we can label truthfully; every other language takes
distinct corpus words as labels, so a question about a field has one answer while the field's
`kind` still says what its value is.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fonts_manifest.textsources import primary

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
