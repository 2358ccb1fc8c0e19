"""Raw inbound messages shaped like real ones: what Gmail, Outlook, old Windows clients,
auto-responders and mail servers actually send (headers, encodings, quoting habits)."""

from __future__ import annotations

import base64
import quopri

CRLF = "\r\n"
# A minimal valid PDF and PNG (the content sniffing looks at their signatures).
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


def b64(text: str | bytes, charset: str = "utf-8") -> str:
    data = text.encode(charset) if isinstance(text, str) else text
    return base64.encodebytes(data).decode("ascii").replace("\n", CRLF)


def encoded_word(text: str, charset: str = "UTF-8") -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def qp(text: str, charset: str = "utf-8") -> str:
    return quopri.encodestring(text.encode(charset)).decode("ascii").replace("\n", CRLF)


def _join(*lines: str) -> bytes:
    return CRLF.join(lines).encode("ascii")


def gmail_new(
    *,
    sender: str = "ali.rezaei@gmail.com",
    name: str = "علی رضایی",
    subject: str = "مشکل در ورود به حساب",
    body: str = "سلام\nنمی‌توانم وارد حسابم شوم. لطفاً راهنمایی کنید.\nممنون",
    message_id: str = "<CAJx9kq1=new@mail.gmail.com>",
    extra_headers: tuple[str, ...] = (),
) -> bytes:
    """A new message from Gmail's web client in Farsi: multipart/alternative, base64."""
    html = '<div dir="rtl">' + "<br>".join(body.splitlines()) + "</div>"
    return _join(
        "MIME-Version: 1.0",
        "Date: Sat, 22 Nov 2026 09:12:33 +0330",
        f"Message-ID: {message_id}",
        f"Subject: {encoded_word(subject)}",
        f"From: {encoded_word(name)} <{sender}>",
        "To: support@peyvand.test",
        *extra_headers,
        'Content-Type: multipart/alternative; boundary="000000000000a1b2c3"',
        "",
        "--000000000000a1b2c3",
        'Content-Type: text/plain; charset="UTF-8"',
        "Content-Transfer-Encoding: base64",
        "",
        b64(body + "\n"),
        "--000000000000a1b2c3",
        'Content-Type: text/html; charset="UTF-8"',
        "Content-Transfer-Encoding: base64",
        "",
        b64(html),
        "--000000000000a1b2c3--",
        "",
    )


def gmail_reply_fa(
    *,
    in_reply_to: str,
    references: str = "",
    sender: str = "ali.rezaei@gmail.com",
    subject: str = "Re: [#1] مشکل در ورود به حساب",
    message_id: str = "<CAJx9kq2=reply@mail.gmail.com>",
) -> bytes:
    """Gmail in Farsi answering us: the quoted history under "در تاریخ … نوشت:" (wrapped
    in bidi embedding marks) and "> " lines, and a gmail_quote div in the HTML."""
    text = (
        "ممنون، مشکل حل شد.\n\n"
        "\u202bدر تاریخ شنبه ۱ آذر ۱۴۰۵ ساعت ۱۰:۱۵ پشتیبانی <support@peyvand.test> نوشت:\u202c\n\n"
        "> سلام، لطفاً رمز خود را بازنشانی کنید.\n>\n"
    )
    html = (
        '<div dir="rtl">ممنون، مشکل حل شد.</div><br><div class="gmail_quote">'
        '<div dir="rtl" class="gmail_attr">در تاریخ شنبه … نوشت:</div>'
        "<blockquote>سلام، لطفاً رمز خود را بازنشانی کنید.</blockquote></div>"
    )
    return _join(
        "MIME-Version: 1.0",
        "Date: Sat, 22 Nov 2026 11:02:10 +0330",
        f"References: {references or in_reply_to}",
        f"In-Reply-To: {in_reply_to}",
        f"Message-ID: {message_id}",
        f"Subject: {encoded_word(subject)}",
        f"From: {encoded_word('علی رضایی')} <{sender}>",
        "To: support@peyvand.test",
        'Content-Type: multipart/alternative; boundary="000000000000d4e5f6"',
        "",
        "--000000000000d4e5f6",
        'Content-Type: text/plain; charset="UTF-8"',
        "Content-Transfer-Encoding: base64",
        "",
        b64(text),
        "--000000000000d4e5f6",
        'Content-Type: text/html; charset="UTF-8"',
        "Content-Transfer-Encoding: base64",
        "",
        b64(html),
        "--000000000000d4e5f6--",
        "",
    )


def outlook_reply_en(*, in_reply_to: str = "", subject: str = "RE: [#1] Invoice") -> bytes:
    """Outlook desktop: quoted-printable text with the "From:/Sent:/To:/Subject:" block."""
    text = (
        "Hi,\n\nThe invoice number is 4512. Please check again.\n\nRegards,\nSara\n\n"
        "From: Peyvand Support <support@peyvand.test>\n"
        "Sent: Saturday, November 22, 2026 10:15 AM\n"
        "To: Sara Ahmadi <sara@company.ir>\n"
        "Subject: [#1] Invoice\n\n"
        "Could you send us the invoice number?\n"
    )
    headers = [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"] if in_reply_to else []
    return _join(
        "From: Sara Ahmadi <Sara@Company.IR>",
        'To: "support@peyvand.test" <support@peyvand.test>',
        f"Subject: {subject}",
        "Thread-Topic: Invoice",
        "Thread-Index: AQHZ1xyzAbCdEf==",
        "Date: Sat, 22 Nov 2026 08:20:01 +0000",
        "Message-ID: <DB9PR01MB1234ABCD@DB9PR01MB1234.eurprd01.prod.exchangelabs.com>",
        *headers,
        "Content-Language: en-US",
        "X-MS-Has-Attach:",
        'Content-Type: text/plain; charset="us-ascii"',
        "Content-Transfer-Encoding: quoted-printable",
        "MIME-Version: 1.0",
        "",
        qp(text, "ascii"),
        "",
    )


def outlook_reply_fa() -> bytes:
    """Outlook in Farsi: the header block is "از:/ارسال‌شده:/به:/موضوع:"; HTML only, with
    Outlook's divRplyFwdMsg around the history."""
    html = (
        '<html dir="rtl"><head><style>p{margin:0}</style></head><body>'
        "<p>سلام،</p><p>فاکتور را پیوست کردم.</p><p>&nbsp;</p>"
        '<div id="divRplyFwdMsg" dir="rtl"><b>از:</b> پشتیبانی &lt;support@peyvand.test&gt;<br>'
        "<b>ارسال‌شده:</b> شنبه ۱ آذر ۱۴۰۵<br><b>موضوع:</b> فاکتور</div>"
        "<div>لطفاً فاکتور را بفرستید.</div></body></html>"
    )
    return _join(
        f"From: {encoded_word('سارا احمدی')} <sara@company.ir>",
        "To: support@peyvand.test",
        f"Subject: {encoded_word('پاسخ: فاکتور')}",
        "Date: Sat, 22 Nov 2026 08:20:01 +0000",
        "Message-ID: <AM0PR02MB5555@AM0PR02MB5555.eurprd02.prod.outlook.com>",
        'Content-Type: text/html; charset="utf-8"',
        "Content-Transfer-Encoding: base64",
        "MIME-Version: 1.0",
        "",
        b64(html),
        "",
    )


def windows_1256(*, raw_header: bool = False) -> bytes:
    """An old Windows client: Windows-1256 body in 8 bits, subject as a Q-encoded word (or
    as raw 8-bit bytes, as careless clients send it)."""
    # Windows-1256 has no Farsi Yeh (ی) nor Persian digits: such mail has the Arabic Yeh.
    subject = "درخواست پيش‌فاکتور"
    if raw_header:
        subject_line = b"Subject: " + subject.encode("cp1256")
    else:
        encoded = quopri.encodestring(subject.encode("cp1256"), header=True).decode("ascii")
        subject_line = f"Subject: =?windows-1256?Q?{encoded}?=".encode("ascii")
    body = "با سلام\r\nلطفاً پيش‌فاکتور 10 عدد چاپگر را بفرستيد.\r\nکيوان کاظمي\r\n"
    return b"\r\n".join(
        [
            b"From: =?windows-1256?B?"
            + base64.b64encode("کيوان کاظمي".encode("cp1256"))
            + b"?= <keyvan@example.ir>",
            b"To: support@peyvand.test",
            subject_line,
            b"Message-ID: <000a01d9$12345678$0201a8c0@KEYVAN-PC>",
            b"MIME-Version: 1.0",
            b'Content-Type: text/plain; charset="windows-1256"',
            b"Content-Transfer-Encoding: 8bit",
            b"",
            body.encode("cp1256"),
        ]
    )


def iso_8859_6() -> bytes:
    """An Arabic-script message in ISO-8859-6, base64 (no Persian-only letters in it)."""
    body = "مرحبا، الطلب لم يصل بعد."
    return _join(
        "From: hamed@example.ir",
        "To: support@peyvand.test",
        f"Subject: {encoded_word('الطلب', 'ISO-8859-6')}",
        "Message-ID: <iso8859-6-1@example.ir>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=ISO-8859-6",
        "Content-Transfer-Encoding: base64",
        "",
        b64(body, "iso-8859-6"),
    )


def html_only() -> bytes:
    """A marketing-style client that sends only HTML, quoted-printable, with a style
    block, entities, a list and a link."""
    html = (
        "<html><head><style>.x{color:red}</style><title>t</title></head><body>"
        "<p>سلام&nbsp;وقت بخیر،</p><p>سفارش <b>۱۲۳۴</b> دو مشکل دارد:</p>"
        "<ul><li>بسته آسیب دیده</li><li>رسید ندارد</li></ul>"
        '<p>عکس‌ها: <a href="https://photos.example.ir/a1">اینجا</a></p>'
        "<script>alert(1)</script></body></html>"
    )
    return _join(
        "From: Neda <neda@example.ir>",
        "To: support@peyvand.test",
        "Subject: =?utf-8?Q?=D8=B3=D9=81=D8=A7=D8=B1=D8=B4?=",
        "Message-ID: <html-only-1@example.ir>",
        "MIME-Version: 1.0",
        "Content-Type: text/html; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        qp(html),
    )


def with_attachments(*, message_id: str = "<att-1@example.ir>") -> bytes:
    """multipart/mixed: text, a PDF with a Persian RFC 2231 file name, an inline PNG with
    an RFC 2047 name, and an executable disguised by its name (refused)."""
    rfc2231 = "UTF-8''" + "".join(f"%{byte:02X}" for byte in "فاکتور آذر.pdf".encode())
    return _join(
        "From: Reza Karimi <reza@example.ir>",
        "To: support@peyvand.test",
        "Subject: =?UTF-8?B?" + base64.b64encode("فاکتور".encode()).decode() + "?=",
        f"Message-ID: {message_id}",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="mixed-1"',
        "",
        "--mixed-1",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: base64",
        "",
        b64("فاکتور و عکس پیوست است."),
        "--mixed-1",
        "Content-Type: application/pdf",
        f"Content-Disposition: attachment; filename*={rfc2231}",
        "Content-Transfer-Encoding: base64",
        "",
        b64(PDF),
        "--mixed-1",
        f'Content-Type: image/png; name="{encoded_word("عکس.png")}"',
        f'Content-Disposition: inline; filename="{encoded_word("عکس.png")}"',
        "Content-ID: <image001.png@01DA>",
        "Content-Transfer-Encoding: base64",
        "",
        b64(PNG),
        "--mixed-1",
        'Content-Type: application/pdf; name="invoice.pdf.exe"',
        'Content-Disposition: attachment; filename="invoice.pdf.exe"',
        "Content-Transfer-Encoding: base64",
        "",
        b64(EXE),
        "--mixed-1--",
        "",
    )


def auto_reply(header: str = "Auto-Submitted: auto-replied") -> bytes:
    """An out-of-office answer."""
    return _join(
        "From: Ali Rezaei <ali.rezaei@gmail.com>",
        "To: support@peyvand.test",
        "Subject: Automatic reply: [#1] Login problem",
        "Message-ID: <ooo-1@mail.gmail.com>",
        header,
        "Content-Type: text/plain; charset=utf-8",
        "",
        "I am out of the office until Saturday.",
    )


def bounce() -> bytes:
    """A delivery status notification from the mail server (multipart/report)."""
    return _join(
        "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.peyvand.test>",
        "To: support@peyvand.test",
        "Subject: Undelivered Mail Returned to Sender",
        "Message-ID: <bounce-1@mx.peyvand.test>",
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
        "",
        "--b1",
        "Content-Type: text/plain",
        "",
        "This is the mail system. Your message could not be delivered.",
        "--b1",
        "Content-Type: message/delivery-status",
        "",
        "Final-Recipient: rfc822; nobody@example.ir",
        "Action: failed",
        "--b1--",
        "",
    )


def plain(
    *,
    sender: str = "Maryam Hosseini <maryam@example.ir>",
    subject: str = "Hello",
    body: str = "A question about my order.",
    message_id: str | None = "<plain-1@example.ir>",
    headers: tuple[str, ...] = (),
) -> bytes:
    """A plain UTF-8 message (8-bit), with or without a Message-ID."""
    lines = [f"From: {sender}", "To: support@peyvand.test", f"Subject: {subject}"]
    if message_id is not None:
        lines.append(f"Message-ID: {message_id}")
    lines += [*headers, "Content-Type: text/plain; charset=utf-8", "", body, ""]
    return "\r\n".join(lines).encode("utf-8")
