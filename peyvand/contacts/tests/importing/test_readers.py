"""Streaming readers for imported files: CSV encodings and delimiters, Excel, vCard."""

from __future__ import annotations

import datetime as dt
import tracemalloc
from contextlib import closing
from pathlib import Path

import pytest
from django.utils import translation
from openpyxl import Workbook

from peyvand.contacts.importing.readers import ImportFileError, SourceRow, open_source


def read_all(
    path: Path, file_format: str | None = None
) -> tuple[list[str], dict[str, str], list[SourceRow]]:
    with closing(open_source(path, file_format=file_format)) as source:
        return source.headers, source.detected, list(source)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- CSV ------------------------------------------------------------------------------------


def test_csv_utf8_with_bom(tmp_path: Path) -> None:
    path = write(
        tmp_path / "contacts.csv",
        "نام,موبایل,ایمیل\r\nعلی رضایی,09121234567,ali@example.com\r\n".encode("utf-8-sig"),
    )

    headers, detected, rows = read_all(path)

    assert headers == ["نام", "موبایل", "ایمیل"]
    assert detected == {"format": "csv", "encoding": "utf-8-sig", "delimiter": ","}
    assert rows == [
        SourceRow(1, {"نام": "علی رضایی", "موبایل": "09121234567", "ایمیل": "ali@example.com"})
    ]


def test_csv_utf8_without_bom_semicolon(tmp_path: Path) -> None:
    path = write(
        tmp_path / "contacts.csv",
        "Name;City;Note\nمریم;تهران;خرید اول, بدون تخفیف\nSara;کرج;\n".encode(),
    )

    headers, detected, rows = read_all(path)

    assert headers == ["Name", "City", "Note"]
    assert detected == {"format": "csv", "encoding": "utf-8", "delimiter": ";"}
    assert rows == [
        SourceRow(1, {"Name": "مریم", "City": "تهران", "Note": "خرید اول, بدون تخفیف"}),
        SourceRow(2, {"Name": "Sara", "City": "کرج", "Note": ""}),
    ]


def test_csv_windows_1256_gives_excel_arabic_letters(tmp_path: Path) -> None:
    # Windows-1256 has no Farsi Yeh (ی): Excel writes Arabic Yeh (ي) in its place, but it
    # does have Keheh (ک), Gaf (گ), Peh (پ) and Cheh (چ).
    text = "نام,موبایل,شهر\r\nعلی رضایی,09121234567,کرج\r\nپگاه چگینی,09351234567,گرگان\r\n"
    path = write(tmp_path / "excel.csv", text.replace("ی", "ي").encode("cp1256"))

    headers, detected, rows = read_all(path)

    assert headers == ["نام", "موبايل", "شهر"]
    assert detected == {"format": "csv", "encoding": "cp1256", "delimiter": ","}
    assert rows == [
        SourceRow(1, {"نام": "علي رضايي", "موبايل": "09121234567", "شهر": "کرج"}),
        SourceRow(2, {"نام": "پگاه چگيني", "موبايل": "09351234567", "شهر": "گرگان"}),
    ]


def test_csv_windows_1256_found_after_a_long_ascii_start(tmp_path: Path) -> None:
    ascii_rows = "".join(f"user{index},0912{index:07d}\r\n" for index in range(5000))
    assert len(ascii_rows) > 64 * 1024
    data = ("name,phone\r\n" + ascii_rows).encode() + "رضا,09120000000\r\n".encode("cp1256")
    path = write(tmp_path / "long.csv", data)

    _headers, detected, rows = read_all(path)

    assert detected["encoding"] == "cp1256"
    assert len(rows) == 5001
    assert rows[-1] == SourceRow(5001, {"name": "رضا", "phone": "09120000000"})


def test_csv_utf16_tab_separated_excel_unicode_text(tmp_path: Path) -> None:
    path = write(tmp_path / "unicode.txt", "نام\tتلفن\r\nعلی\t021-88776655\r\n".encode("utf-16"))

    _headers, detected, rows = read_all(path)

    assert detected == {"format": "csv", "encoding": "utf-16", "delimiter": "\t"}
    assert rows == [SourceRow(1, {"نام": "علی", "تلفن": "021-88776655"})]


@pytest.mark.parametrize(
    ("delimiter", "name"),
    [(",", "comma"), (";", "semicolon"), ("\t", "tab"), ("|", "pipe")],
)
def test_csv_delimiters(tmp_path: Path, delimiter: str, name: str) -> None:
    lines = [["First Name", "Last Name", "Phone"], ["Ali", "Rezaei", "0912"], ["Sara", "", "0935"]]
    text = "".join(delimiter.join(line) + "\n" for line in lines)
    path = write(tmp_path / f"{name}.csv", text.encode())

    headers, detected, rows = read_all(path)

    assert detected["delimiter"] == delimiter
    assert headers == ["First Name", "Last Name", "Phone"]
    assert rows[1] == SourceRow(2, {"First Name": "Sara", "Last Name": "", "Phone": "0935"})


def test_csv_delimiter_not_fooled_by_commas_in_values(tmp_path: Path) -> None:
    text = "Name;Address, full;Phone\nAli;Tehran, Azadi St., No. 1;0912\nSara;Karaj;0935\n"
    path = write(tmp_path / "contacts.csv", text.encode())

    headers, detected, rows = read_all(path)

    assert detected["delimiter"] == ";"
    assert headers == ["Name", "Address, full", "Phone"]
    assert rows[0].values["Address, full"] == "Tehran, Azadi St., No. 1"


def test_csv_quoted_newlines_and_delimiters(tmp_path: Path) -> None:
    text = (
        'Name,Address,Note\r\n"Ali","Tehran,\r\nAzadi St.","said ""hi"""\r\n'
        '"Sara","Karaj","line one\nline two"\r\n'
    )
    path = write(tmp_path / "contacts.csv", text.encode())

    _headers, _detected, rows = read_all(path)

    assert rows == [
        SourceRow(1, {"Name": "Ali", "Address": "Tehran,\r\nAzadi St.", "Note": 'said "hi"'}),
        SourceRow(2, {"Name": "Sara", "Address": "Karaj", "Note": "line one\nline two"}),
    ]


def test_csv_duplicate_empty_and_trailing_headers(tmp_path: Path) -> None:
    text = "Phone, Name ,Phone,,Phone,,\n0912,Ali,0935,x,021,y,z\n"
    path = write(tmp_path / "contacts.csv", text.encode())

    headers, _detected, rows = read_all(path)

    assert headers == ["Phone", "Name", "Phone (2)", "Column 4", "Phone (3)"]
    assert rows == [
        SourceRow(
            1,
            {
                "Phone": "0912",
                "Name": "Ali",
                "Phone (2)": "0935",
                "Column 4": "x",
                "Phone (3)": "021",
            },
        )
    ]


def test_csv_blank_lines_skipped_short_and_long_rows(tmp_path: Path) -> None:
    text = "\n\nName,Phone,City\n\nAli,0912\n ,  , \n,,\nSara,0935,Karaj,extra,more\n\n"
    path = write(tmp_path / "contacts.csv", text.encode())

    headers, _detected, rows = read_all(path)

    assert headers == ["Name", "Phone", "City"]
    assert rows == [
        SourceRow(1, {"Name": "Ali", "Phone": "0912", "City": ""}),
        SourceRow(2, {"Name": "Sara", "Phone": "0935", "City": "Karaj"}),
    ]


def test_csv_cells_are_stripped(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "Name , Phone\n  علی  ,\t0912 \n".encode())

    assert read_all(path)[2] == [SourceRow(1, {"Name": "علی", "Phone": "0912"})]


def test_csv_header_only_has_no_rows(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", b"Name,Phone\r\n")

    headers, _detected, rows = read_all(path)

    assert headers == ["Name", "Phone"]
    assert rows == []


def test_file_format_argument_wins_over_extension(tmp_path: Path) -> None:
    path = write(tmp_path / "export.dat", b"Name|Phone\nAli|0912\n")

    _headers, detected, rows = read_all(path, file_format="CSV")

    assert detected["delimiter"] == "|"
    assert rows == [SourceRow(1, {"Name": "Ali", "Phone": "0912"})]


def test_path_may_be_a_string(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", b"Name\nAli\n")

    with closing(open_source(str(path))) as source:
        assert list(source) == [SourceRow(1, {"Name": "Ali"})]


def test_source_iterates_again_and_not_after_close(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", b"Name\nAli\nSara\n")
    source = open_source(path)

    first = list(source)
    partial = iter(source)
    assert next(partial) == SourceRow(1, {"Name": "Ali"})
    assert list(source) == first
    source.close()

    with pytest.raises(ValueError, match="closed"):
        list(source)
    with pytest.raises(ValueError, match="I/O operation on closed file"):
        next(partial)


def test_csv_invalid_utf8_after_the_sample_raises_while_iterating(tmp_path: Path) -> None:
    rows = "".join(f"علی {index},0912{index:07d}\n" for index in range(5000))
    assert len(rows.encode()) > 64 * 1024
    path = write(tmp_path / "c.csv", ("نام,موبایل\n" + rows).encode() + b"\xff\xfe,0912\n")
    source = open_source(path)
    assert source.detected["encoding"] == "utf-8"

    with pytest.raises(ImportFileError) as error, closing(source):
        list(source)
    assert error.value.code == "unreadable"


# --- Errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "file_format", "code"),
    [
        ("contacts.xls", b"Name\nAli\n", None, "unsupported_format"),
        ("contacts.pdf", b"%PDF-1.4", None, "unsupported_format"),
        ("contacts", b"Name\nAli\n", None, "unsupported_format"),
        ("contacts.csv", b"Name\nAli\n", "json", "unsupported_format"),
        ("contacts.csv", b"", None, "empty"),
        ("contacts.xlsx", b"", None, "empty"),
        ("contacts.vcf", b"", None, "empty"),
        ("contacts.csv", b"\r\n \r\n\t\n", None, "empty"),
        ("contacts.csv", b",,\n,,\n", None, "empty"),
        ("contacts.csv", b"09121234567,1990-01-01\n09351234567,1991-02-02\n", None, "no_header"),
        ("contacts.csv", b"PK\x03\x04\x14\x00\x00\x00binary", None, "unreadable"),
        ("contacts.xlsx", b"Name,Phone\nAli,0912\n", None, "unreadable"),
        ("contacts.vcf", b"Name,Phone\nAli,0912\n", None, "unreadable"),
        ("contacts.vcf", b"\r\n\r\n", None, "empty"),
    ],
)
def test_open_source_errors(
    tmp_path: Path, name: str, data: bytes, file_format: str | None, code: str
) -> None:
    path = write(tmp_path / name, data)

    with pytest.raises(ImportFileError) as error:
        open_source(path, file_format=file_format)

    assert error.value.code == code


def test_error_messages_are_translatable_english(tmp_path: Path) -> None:
    path = write(tmp_path / "c.xls", b"x")

    with translation.override("en"), pytest.raises(ImportFileError) as error:
        open_source(path)

    with translation.override("en"):
        assert str(error.value) == (
            "This type of file is not supported; use CSV, Excel (.xlsx) or vCard."
        )


def test_missing_file_raises_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        open_source(tmp_path / "missing.csv")


# --- Excel --------------------------------------------------------------------------------


def test_xlsx_cells_become_text(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "مخاطبین"
    sheet.append([])
    sheet.append(["نام", "موبایل", "تاریخ تولد", "امتیاز", None, "موبایل", "فعال"])
    sheet.append(["علی رضایی", 9121234567, dt.date(1990, 5, 17), 12.5, None, "0935 123 4567"])
    sheet.append([None, None, None])
    sheet.append(["سارا", 9351234567.0, dt.datetime(2001, 1, 2, 13, 45), 3.0, "x", None, True])
    sheet.append(["  رضا  ", None, None, -7, None, None, False, "beyond the header"])
    workbook.create_sheet("Other").append(["ignored"])
    path = tmp_path / "contacts.xlsx"
    workbook.save(path)

    headers, detected, rows = read_all(path)

    assert headers == ["نام", "موبایل", "تاریخ تولد", "امتیاز", "Column 5", "موبایل (2)", "فعال"]
    assert detected == {"format": "xlsx", "sheet": "مخاطبین"}
    assert rows == [
        SourceRow(
            1,
            {
                "نام": "علی رضایی",
                "موبایل": "9121234567",
                "تاریخ تولد": "1990-05-17",
                "امتیاز": "12.5",
                "Column 5": "",
                "موبایل (2)": "0935 123 4567",
                "فعال": "",
            },
        ),
        SourceRow(
            2,
            {
                "نام": "سارا",
                "موبایل": "9351234567",
                "تاریخ تولد": "2001-01-02",
                "امتیاز": "3",
                "Column 5": "x",
                "موبایل (2)": "",
                "فعال": "TRUE",
            },
        ),
        SourceRow(
            3,
            {
                "نام": "رضا",
                "موبایل": "",
                "تاریخ تولد": "",
                "امتیاز": "-7",
                "Column 5": "",
                "موبایل (2)": "",
                "فعال": "FALSE",
            },
        ),
    ]


def test_xlsx_empty_sheet(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    Workbook().save(path)

    with pytest.raises(ImportFileError) as error:
        open_source(path)

    assert error.value.code == "empty"


def test_xlsx_closed_source_cannot_iterate(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Name"])
    sheet.append(["Ali"])
    path = tmp_path / "c.xlsx"
    workbook.save(path)
    source = open_source(path)
    assert list(source) == [SourceRow(1, {"Name": "Ali"})]
    assert list(source) == [SourceRow(1, {"Name": "Ali"})]

    source.close()

    with pytest.raises(ValueError, match="closed"):
        list(source)


# --- vCard --------------------------------------------------------------------------------


def quoted_printable(text: str) -> str:
    """How Android writes a vCard 2.1 value: every UTF-8 byte as =XX."""
    return "".join(f"={byte:02X}" for byte in text.encode())


def test_vcard_21_quoted_printable_persian_names(tmp_path: Path) -> None:
    full_name = quoted_printable("علی رضایی")
    # A soft line break ("=" at the end of a line) in the middle of a UTF-8 character.
    folded_full_name = full_name[:28] + "=\r\n" + full_name[28:]
    note = quoted_printable("مشتری قدیمی\r\nتماس عصرها")
    card = (
        "BEGIN:VCARD\r\n"
        "VERSION:2.1\r\n"
        f"N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{quoted_printable('رضایی')};"
        f"{quoted_printable('علی')};;;\r\n"
        f"FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{folded_full_name}\r\n"
        "TEL;CELL;PREF:0912 123 4567\r\n"
        "TEL;HOME:021-88776655\r\n"
        f"NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:{note[:40]}=\r\n{note[40:]}\r\n"
        "END:VCARD\r\n"
        "BEGIN:VCARD\r\n"
        "VERSION:2.1\r\n"
        f"FN;CHARSET=UTF-8;QUOTED-PRINTABLE:{quoted_printable('سارا حسین زاده')}\r\n"
        "TEL;CELL:+989351234567\r\n"
        "EMAIL;HOME:sara@example.com\r\n"
        "BDAY:1992-11-03\r\n"
        "END:VCARD\r\n"
    )
    path = write(tmp_path / "android.vcf", card.encode())

    headers, detected, rows = read_all(path)

    assert headers == [
        "first_name", "last_name", "full_name", "phone", "phone (2)", "email",
        "birthday", "company", "job_title", "address", "note",
    ]  # fmt: skip
    assert detected == {"format": "vcard", "encoding": "utf-8", "version": "2.1"}
    assert rows == [
        SourceRow(
            1,
            {
                "first_name": "علی",
                "last_name": "رضایی",
                "full_name": "علی رضایی",
                "phone": "0912 123 4567",
                "phone (2)": "021-88776655",
                "email": "",
                "birthday": "",
                "company": "",
                "job_title": "",
                "address": "",
                "note": "مشتری قدیمی\r\nتماس عصرها",
            },
        ),
        SourceRow(
            2,
            {
                "first_name": "سارا",
                "last_name": "حسین زاده",
                "full_name": "سارا حسین زاده",
                "phone": "+989351234567",
                "phone (2)": "",
                "email": "sara@example.com",
                "birthday": "1992-11-03",
                "company": "",
                "job_title": "",
                "address": "",
                "note": "",
            },
        ),
    ]


def test_vcard_30_iphone_groups_several_phones_and_emails(tmp_path: Path) -> None:
    card = (
        "BEGIN:VCARD\r\n"
        "VERSION:3.0\r\n"
        "PRODID:-//Apple Inc.//iPhone OS 17.0//EN\r\n"
        "N:Rezaei;Ali;Mohammad;Dr.;\r\n"
        "FN:Dr. Ali Mohammad Rezaei\r\n"
        "ORG:Peyvand Co.;Sales;\r\n"
        "TITLE:Sales Manager\r\n"
        "item1.TEL;type=pref:+98 912 123 4567\r\n"
        "item1.X-ABLabel:_$!<Mobile>!$_\r\n"
        "TEL;type=CELL;type=VOICE:0935 123 4567\r\n"
        "TEL;type=WORK:021 8877 6655\r\n"
        "item2.EMAIL;type=INTERNET;type=HOME;type=pref:ali@example.com\r\n"
        "EMAIL;type=INTERNET;type=WORK:a.rezaei@peyvand.example\r\n"
        "item3.ADR;type=HOME;type=pref:;;No. 12\\, Azadi St.;Tehran;Tehran;1234567890;Iran\r\n"
        "item3.X-ABADR:ir\r\n"
        "BDAY;X-APPLE-OMIT-YEAR=1604:1604-05-17\r\n"
        "NOTE:Met at the fair\\nCall back in Mehr\\; before noon. This note is long and\r\n"
        "  folded\r\n"
        "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD=\r\n"
        " /2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHR8eHR==\r\n"
        "END:VCARD\r\n"
        "BEGIN:VCARD\r\n"
        "VERSION:3.0\r\n"
        "FN:Sara\r\n"
        "BDAY:--0203\r\n"
        "END:VCARD\r\n"
    )
    path = write(tmp_path / "iphone.vcf", card.encode())

    headers, detected, rows = read_all(path)

    assert headers == [
        "first_name", "last_name", "full_name", "phone", "phone (2)", "phone (3)", "email",
        "email (2)", "birthday", "company", "job_title", "address", "note",
    ]  # fmt: skip
    assert detected == {"format": "vcard", "encoding": "utf-8", "version": "3.0"}
    assert rows[0] == SourceRow(
        1,
        {
            "first_name": "Ali Mohammad",
            "last_name": "Rezaei",
            "full_name": "Dr. Ali Mohammad Rezaei",
            "phone": "+98 912 123 4567",
            "phone (2)": "0935 123 4567",
            "phone (3)": "021 8877 6655",
            "email": "ali@example.com",
            "email (2)": "a.rezaei@peyvand.example",
            "birthday": "--0517",
            "company": "Peyvand Co.",
            "job_title": "Sales Manager",
            "address": "No. 12, Azadi St.، Tehran، Tehran، 1234567890، Iran",
            "note": (
                "Met at the fair\nCall back in Mehr; before noon. This note is long and folded"
            ),
        },
    )
    assert rows[1] == SourceRow(
        2,
        {
            "first_name": "",
            "last_name": "Sara",
            "full_name": "Sara",
            "phone": "",
            "phone (2)": "",
            "phone (3)": "",
            "email": "",
            "email (2)": "",
            "birthday": "--0203",
            "company": "",
            "job_title": "",
            "address": "",
            "note": "",
        },
    )


def test_vcard_40_google_uri_values_quoted_params_and_lowercase(tmp_path: Path) -> None:
    card = (
        "BEGIN:VCARD\n"
        "VERSION:4.0\n"
        "N:احمدی;مریم;;;\n"
        'tel;TYPE="cell,voice";VALUE=uri:tel:+98-912-765-4321\n'
        "TEL;VALUE=uri;TYPE=work:tel:+98-21-8877-6655\n"
        'EMAIL;TYPE=work;LABEL="Office: 2nd floor":maryam@example.com\n'
        "EMAIL;PREF=1:m.ahmadi@example.org\n"
        "BDAY:19880203T000000Z\n"
        "ORG:شرکت پیوند;فروش\n"
        "ADR;TYPE=home:;;خیابان آزادی، پلاک ۱۲;اصفهان;اصفهان;8134567890;\n"
        "END:VCARD\n"
        "BEGIN:VCARD\n"
        "VERSION:4.0\n"
        "FN:علي حسين زاده\n"
        "TEL:09121112233\n"
    )  # the second card is cut off: no END:VCARD
    path = write(tmp_path / "google.vcf", card.encode())

    _headers, detected, rows = read_all(path)

    assert detected == {"format": "vcard", "encoding": "utf-8", "version": "4.0"}
    assert rows == [
        SourceRow(
            1,
            {
                "first_name": "مریم",
                "last_name": "احمدی",
                "full_name": "مریم احمدی",
                "phone": "+98-912-765-4321",
                "phone (2)": "+98-21-8877-6655",
                "email": "maryam@example.com",
                "email (2)": "m.ahmadi@example.org",
                "birthday": "1988-02-03",
                "company": "شرکت پیوند",
                "job_title": "",
                "address": "خیابان آزادی، پلاک ۱۲، اصفهان، اصفهان، 8134567890",
                "note": "",
            },
        ),
        SourceRow(
            2,
            {
                "first_name": "علی",
                "last_name": "حسین زاده",
                "full_name": "علي حسين زاده",
                "phone": "09121112233",
                "phone (2)": "",
                "email": "",
                "email (2)": "",
                "birthday": "",
                "company": "",
                "job_title": "",
                "address": "",
                "note": "",
            },
        ),
    ]


def test_vcard_without_phones_or_emails_still_has_one_column_each(tmp_path: Path) -> None:
    path = write(tmp_path / "c.vcard", b"BEGIN:VCARD\nVERSION:3.0\nFN:Ali\nEND:VCARD\n")

    headers, _detected, rows = read_all(path)

    assert headers[3:5] == ["phone", "email"]
    assert rows[0].values["phone"] == ""


def test_vcard_skips_nested_agent_card(tmp_path: Path) -> None:
    text = (
        "BEGIN:VCARD\nVERSION:2.1\nFN:Ali Rezaei\n"
        "AGENT:\nBEGIN:VCARD\nVERSION:2.1\nFN:Assistant\nTEL:0000\nEND:VCARD\n"
        "TEL:0912\nEND:VCARD\n"
    )
    path = write(tmp_path / "agent.vcf", text.encode())

    _headers, _detected, rows = read_all(path)

    assert len(rows) == 1
    assert rows[0].values["full_name"] == "Ali Rezaei"
    assert rows[0].values["phone"] == "0912"


# --- Streaming ----------------------------------------------------------------------------


def test_csv_memory_stays_flat_for_a_large_file(tmp_path: Path) -> None:
    path = tmp_path / "large.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        stream.write("نام,موبایل,ایمیل,شهر\r\n")
        stream.writelines(
            f"علی {index},0912{index:07d},user{index}@example.com,تهران\r\n"
            for index in range(200_000)
        )
    tracemalloc.start()
    try:
        with closing(open_source(path)) as source:
            count, last_row = 0, None
            for row in source:
                count += 1
                last_row = row
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert count == 200_000
    assert last_row == SourceRow(
        200_000,
        {
            "نام": "علی 199999",
            "موبایل": "09120199999",
            "ایمیل": "user199999@example.com",
            "شهر": "تهران",
        },
    )
    assert path.stat().st_size > 10 * 1024 * 1024
    # Memory, not time: wall-clock limits in unit tests fail on a loaded machine (speed is
    # measured by bench/import.py).
    assert peak < 4 * 1024 * 1024
