# ruff: noqa: RUF001 - Chinese punctuation (full-width) is what a reader sees
"""The API's `detail` in the reader's language, its `error` code unchanged, and the one
resolver of a request's language (hub/language.py)."""

from __future__ import annotations

from types import SimpleNamespace

from starlette.requests import Request

from hub.errors import error_body
from hub.language import language_for
from hub.problems import _in_words
from kernel.errors import Conflict, Invalid


def request(query: str = "", accept: str | None = None, site: str = "en") -> Request:
    headers = [(b"accept-language", accept.encode())] if accept else []
    app = SimpleNamespace(state=SimpleNamespace(hub=SimpleNamespace(
        settings=SimpleNamespace(language=site))))
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers,
                    "query_string": query.encode(), "app": app})


def test_a_fixed_detail_is_translated_and_the_code_kept() -> None:
    refused = Invalid("end must be after start", code="bad_period")
    assert error_body(refused, "zh-CN") == {"error": "bad_period",
                                             "detail": "结束时间必须晚于开始时间"}
    assert error_body(refused) == {"error": "bad_period", "detail": "end must be after start"}


def test_a_detail_with_values_is_a_whole_sentence_with_its_values_in_place() -> None:
    refused = Conflict("%(user)s is the last active admin; make another user admin first, "
                       "or nobody could administer the hub", code="last_admin", user="bob")
    assert refused.message.startswith("bob is the last active admin")  # the log's, English
    body = error_body(refused, "zh-CN")
    assert body == {"error": "last_admin", "detail": "bob 是最后一个在职管理员；请先将其他用户"
                    "设为管理员，否则将无人能管理集线器"}


def test_an_untranslated_detail_stays_english() -> None:
    said = Invalid("lot L-9 of an item nobody translated", code="x")
    assert error_body(said, "zh-CN")["detail"] == "lot L-9 of an item nobody translated"


def test_validation_problems_in_plain_words_in_the_readers_language() -> None:
    short = {"type": "string_too_short", "ctx": {"min_length": 3}, "msg": "String should …"}
    assert _in_words(short, "zh-CN") == "至少需要 3 个字符"
    assert _in_words(short) == "needs at least 3 characters"
    assert _in_words({"type": "missing", "msg": "Field required"}, "zh-CN") == "必填字段"


def test_the_language_of_a_request_lang_then_user_then_browser_then_site() -> None:
    user = SimpleNamespace(language="en")
    assert language_for(request("lang=zh-CN", "en"), user) == "zh-CN"
    assert language_for(request("", "zh-CN"), user) == "en"  # the user's own setting
    assert language_for(request("", "zh-TW,zh;q=0.9")) == "zh-CN"
    assert language_for(request("", "fr, de;q=0.5")) == "en"
    assert language_for(request("", None, site="zh-CN")) == "zh-CN"
    assert language_for(request("lang=xx", None, site="zh-CN")) == "zh-CN"
    assert language_for(request(), SimpleNamespace()) == "en"  # no language field yet
