"""Static geographic data about Iran: the 31 provinces and their major cities."""

from __future__ import annotations

from dataclasses import dataclass

from peyvand.common.persian import is_farsi

__all__ = [
    "CITIES",
    "PROVINCES",
    "PROVINCES_BY_CODE",
    "PROVINCE_CHOICES",
    "Province",
    "city_choices",
    "province_name",
]


@dataclass(frozen=True, slots=True)
class Province:
    """One province (استان): a stable ASCII code and its Persian and English names."""

    code: str
    name_fa: str
    name_en: str


# In the usual Persian alphabetical order of the official lists.
PROVINCES: tuple[Province, ...] = (
    Province("azarbaijan-sharghi", "آذربایجان شرقی", "East Azerbaijan"),
    Province("azarbaijan-gharbi", "آذربایجان غربی", "West Azerbaijan"),
    Province("ardabil", "اردبیل", "Ardabil"),
    Province("isfahan", "اصفهان", "Isfahan"),
    Province("alborz", "البرز", "Alborz"),
    Province("ilam", "ایلام", "Ilam"),
    Province("bushehr", "بوشهر", "Bushehr"),
    Province("tehran", "تهران", "Tehran"),
    Province("chaharmahal-bakhtiari", "چهارمحال و بختیاری", "Chaharmahal and Bakhtiari"),
    Province("khorasan-jonubi", "خراسان جنوبی", "South Khorasan"),
    Province("khorasan-razavi", "خراسان رضوی", "Razavi Khorasan"),
    Province("khorasan-shomali", "خراسان شمالی", "North Khorasan"),
    Province("khuzestan", "خوزستان", "Khuzestan"),
    Province("zanjan", "زنجان", "Zanjan"),
    Province("semnan", "سمنان", "Semnan"),
    Province("sistan-baluchestan", "سیستان و بلوچستان", "Sistan and Baluchestan"),
    Province("fars", "فارس", "Fars"),
    Province("qazvin", "قزوین", "Qazvin"),
    Province("qom", "قم", "Qom"),
    Province("kordestan", "کردستان", "Kurdistan"),
    Province("kerman", "کرمان", "Kerman"),
    Province("kermanshah", "کرمانشاه", "Kermanshah"),
    Province("kohgiluyeh-boyerahmad", "کهگیلویه و بویراحمد", "Kohgiluyeh and Boyer-Ahmad"),
    Province("golestan", "گلستان", "Golestan"),
    Province("gilan", "گیلان", "Gilan"),
    Province("lorestan", "لرستان", "Lorestan"),
    Province("mazandaran", "مازندران", "Mazandaran"),
    Province("markazi", "مرکزی", "Markazi"),
    Province("hormozgan", "هرمزگان", "Hormozgan"),
    Province("hamadan", "همدان", "Hamadan"),
    Province("yazd", "یزد", "Yazd"),
)

PROVINCES_BY_CODE: dict[str, Province] = {province.code: province for province in PROVINCES}

PROVINCE_CHOICES: list[tuple[str, str]] = [
    (province.code, province.name_fa) for province in PROVINCES
]

# The provincial capital first, then other major cities (Persian names).
CITIES: dict[str, tuple[str, ...]] = {
    "azarbaijan-sharghi": ("تبریز", "مراغه", "مرند", "میانه", "اهر", "بناب", "سراب", "شبستر"),
    "azarbaijan-gharbi": ("ارومیه", "خوی", "میاندوآب", "مهاباد", "بوکان", "سلماس", "نقده"),
    "ardabil": ("اردبیل", "پارس‌آباد", "مشگین‌شهر", "خلخال", "گرمی", "بیله‌سوار", "نمین"),
    "isfahan": ("اصفهان", "کاشان", "خمینی‌شهر", "نجف‌آباد", "شاهین‌شهر", "شهرضا", "مبارکه"),
    "alborz": ("کرج", "فردیس", "نظرآباد", "هشتگرد", "محمدشهر", "ماهدشت", "کمال‌شهر"),
    "ilam": ("ایلام", "دهلران", "ایوان", "آبدانان", "دره‌شهر", "مهران"),
    "bushehr": ("بوشهر", "برازجان", "گناوه", "خورموج", "کنگان", "جم", "عسلویه", "دیلم"),
    "tehran": ("تهران", "ری", "شمیرانات", "اسلامشهر", "شهریار", "ورامین", "پاکدشت", "دماوند"),
    "chaharmahal-bakhtiari": ("شهرکرد", "بروجن", "فارسان", "لردگان", "فرخ‌شهر", "اردل"),
    "khorasan-jonubi": ("بیرجند", "قائن", "فردوس", "نهبندان", "سرایان", "بشرویه"),
    "khorasan-razavi": (
        "مشهد",
        "نیشابور",
        "سبزوار",
        "تربت حیدریه",
        "قوچان",
        "کاشمر",
        "تربت جام",
        "گناباد",
    ),
    "khorasan-shomali": ("بجنورد", "شیروان", "اسفراین", "آشخانه", "جاجرم", "فاروج"),
    "khuzestan": ("اهواز", "آبادان", "دزفول", "خرمشهر", "اندیمشک", "بهبهان", "ماهشهر", "شوشتر"),
    "zanjan": ("زنجان", "ابهر", "خرمدره", "قیدار", "هیدج", "آب‌بر"),
    "semnan": ("سمنان", "شاهرود", "دامغان", "گرمسار", "مهدی‌شهر", "ایوانکی"),
    "sistan-baluchestan": ("زاهدان", "زابل", "چابهار", "ایرانشهر", "خاش", "سراوان", "نیکشهر"),
    "fars": ("شیراز", "مرودشت", "جهرم", "فسا", "کازرون", "لار", "داراب", "آباده"),
    "qazvin": ("قزوین", "تاکستان", "الوند", "بوئین‌زهرا", "آبیک", "محمدیه"),
    "qom": ("قم", "قنوات", "جعفریه", "کهک", "دستجرد", "سلفچگان"),
    "kordestan": ("سنندج", "سقز", "مریوان", "بانه", "بیجار", "قروه", "کامیاران", "دیواندره"),
    "kerman": ("کرمان", "سیرجان", "رفسنجان", "جیرفت", "بم", "زرند", "کهنوج", "شهربابک"),
    "kermanshah": ("کرمانشاه", "اسلام‌آباد غرب", "هرسین", "کنگاور", "سنقر", "صحنه", "پاوه"),
    "kohgiluyeh-boyerahmad": ("یاسوج", "دوگنبدان", "دهدشت", "سی‌سخت", "لیکک", "چرام"),
    "golestan": ("گرگان", "گنبد کاووس", "علی‌آباد کتول", "بندر ترکمن", "آق‌قلا", "کردکوی"),
    "gilan": ("رشت", "بندر انزلی", "لاهیجان", "لنگرود", "آستارا", "رودسر", "صومعه‌سرا", "فومن"),
    "lorestan": ("خرم‌آباد", "بروجرد", "دورود", "الیگودرز", "کوهدشت", "ازنا", "نورآباد"),
    "mazandaran": ("ساری", "بابل", "آمل", "قائم‌شهر", "بهشهر", "چالوس", "تنکابن", "نوشهر"),
    "markazi": ("اراک", "ساوه", "خمین", "محلات", "دلیجان", "تفرش", "شازند"),
    "hormozgan": ("بندرعباس", "میناب", "قشم", "کیش", "بندر لنگه", "حاجی‌آباد", "جاسک"),
    "hamadan": ("همدان", "ملایر", "نهاوند", "تویسرکان", "اسدآباد", "کبودرآهنگ", "بهار", "رزن"),
    "yazd": ("یزد", "میبد", "اردکان", "بافق", "مهریز", "ابرکوه", "تفت", "طبس"),
}


def province_name(code: str, language: str) -> str:
    """The province's name in ``language`` ("fa…" gives Persian, anything else English).

    An empty code gives ``""``; an unknown code is returned unchanged so that stale data
    still displays.
    """
    province = PROVINCES_BY_CODE.get(code)
    if province is None:
        return code
    return province.name_fa if is_farsi(language) else province.name_en


def city_choices(province_code: str) -> list[tuple[str, str]]:
    """``(name, name)`` choices for the cities of a province; empty for an unknown code."""
    return [(city, city) for city in CITIES.get(province_code, ())]
