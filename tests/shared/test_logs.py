import logging

import orjson

from shared.logs import JSONFormatter, TextFormatter, request_id_var


def record(message: str, **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("roseash.test", logging.INFO, __file__, 1, message, (), None)
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


def test_json_lines_carry_the_request_id_and_extras() -> None:
    token = request_id_var.set("req-12345678")
    try:
        line = JSONFormatter().format(record("hello", status=200))
    finally:
        request_id_var.reset(token)
    entry = orjson.loads(line)
    assert entry["msg"] == "hello"
    assert entry["request_id"] == "req-12345678"
    assert entry["status"] == 200
    assert entry["level"] == "INFO"


def test_text_lines_for_people() -> None:
    assert TextFormatter().format(record("hello", status=200)) == "INFO    roseash.test: hello status=200"


def test_a_message_with_newlines_stays_one_json_line() -> None:
    assert "\n" not in JSONFormatter().format(record("line one\nline two"))
