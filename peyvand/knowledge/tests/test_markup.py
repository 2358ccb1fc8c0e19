"""Article text to HTML: the few allowed marks, and everything else escaped."""

from __future__ import annotations

from peyvand.knowledge.markup import excerpt, plain_text, render_markup


def test_paragraphs_headings_lists_bold_and_links() -> None:
    text = (
        "# راهنما\n"
        "سطر اول\nادامهٔ همان بند\n\n"
        "- یک **مهم**\n- دو\n\n"
        "۱. اول\n2. دوم\n\n"
        "[سامانه](https://tracking.post.ir/?a=1&b=2)"
    )
    assert render_markup(text) == (
        "<h2>راهنما</h2>\n"
        "<p>سطر اول ادامهٔ همان بند</p>\n"
        "<ul><li>یک <strong>مهم</strong></li><li>دو</li></ul>\n"
        "<ol><li>اول</li><li>دوم</li></ol>\n"
        '<p><a href="https://tracking.post.ir/?a=1&amp;b=2" rel="nofollow noopener" '
        'target="_blank">سامانه</a></p>'
    )


def test_html_is_escaped_everywhere() -> None:
    html = render_markup(
        "<script>alert(1)</script>\n\n## <img src=x onerror=alert(1)>\n\n- **<b>x</b>**"
    )
    assert html == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
        "<h3>&lt;img src=x onerror=alert(1)&gt;</h3>\n"
        "<ul><li><strong>&lt;b&gt;x&lt;/b&gt;</strong></li></ul>"
    )


def test_only_http_and_https_links_become_links() -> None:
    assert render_markup("[بزن](javascript:alert(1))") == "<p>[بزن](javascript:alert(1))</p>"
    assert render_markup("[بزن](data:text/html,x)") == "<p>[بزن](data:text/html,x)</p>"
    assert render_markup("[بزن](//evil.example)") == "<p>[بزن](//evil.example)</p>"
    assert render_markup('[x](https://a.ir/"onmouseover="alert(1))') == (
        "<p>[x](https://a.ir/&quot;onmouseover=&quot;alert(1))</p>"
    )
    assert render_markup('[x](https://a.ir/"onmouseover="x)') == (
        '<p><a href="https://a.ir/&quot;onmouseover=&quot;x" rel="nofollow noopener" '
        'target="_blank">x</a></p>'
    )
    assert render_markup("[<i>x</i>](http://a.ir)") == (
        '<p><a href="http://a.ir" rel="nofollow noopener" target="_blank">'
        "&lt;i&gt;x&lt;/i&gt;</a></p>"
    )


def test_plain_text_and_excerpt_drop_the_marks() -> None:
    text = "## عنوان\n- **یک** [پیوند](https://a.ir)\n۲. دو\nمتن"
    assert plain_text(text) == "عنوان\nیک پیوند\nدو\nمتن"
    assert excerpt("کلمه " * 10, length=20) == "کلمه کلمه کلمه کلمه…"
    assert excerpt("کوتاه") == "کوتاه"
