import datetime

from django.utils import formats, translation

MOMENT = datetime.datetime(2026, 9, 16, 15, 28)


def test_bulgarian_pages_show_day_month_year_and_24_hour_time():
    with translation.override("bg"):
        assert formats.date_format(MOMENT, "SHORT_DATETIME_FORMAT") == "16.09.2026 15:28"


def test_russian_keeps_djangos_day_month_year_format():
    with translation.override("ru"):
        assert formats.date_format(MOMENT, "SHORT_DATETIME_FORMAT") == "16.09.2026 15:28"
