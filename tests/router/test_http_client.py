"""The subgraph HTTP client against a raw peer on 127.0.0.1 that answers in each way HTTP/1.1 allows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from router.http_client import HTTPClient, HTTPError

# Given the number of the request on its connection, the bytes to answer (empty: close instead).
Reply = Callable[[int], bytes]


@asynccontextmanager
async def peer(reply: Reply, close_after_reply: bool = False) -> AsyncIterator[tuple[str, list[int]]]:
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        count = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                count += 1
                answer = reply(count)
                if not answer:
                    break
                writer.write(answer)
                await writer.drain()
                if close_after_reply:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/graphql", connections
    finally:
        server.close()


def fixed(body: bytes, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n%s\r\n%s" % (len(body), extra, body)


async def test_keep_alive_reuses_one_connection() -> None:
    client = HTTPClient()
    async with peer(lambda n: fixed(b'{"n":%d}' % n)) as (url, connections):
        answers = [await client.post(url, b"{}", {}) for _ in range(3)]
    await client.close()
    assert answers == [(200, b'{"n":1}'), (200, b'{"n":2}'), (200, b'{"n":3}')]
    assert len(connections) == 1


async def test_chunked_bodies_with_trailers() -> None:
    chunked = (
        b'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\n{"a"\r\n3;ext=1\r\n:1}\r\n0\r\nx-trailer: y\r\n\r\n'
    )
    client = HTTPClient()
    async with peer(lambda n: chunked) as (url, connections):
        assert await client.post(url, b"{}", {}) == (200, b'{"a":1}')
        assert await client.post(url, b"{}", {}) == (200, b'{"a":1}')
    await client.close()
    assert len(connections) == 1


async def test_connection_close_is_honoured() -> None:
    client = HTTPClient()
    async with peer(lambda n: fixed(b"{}", b"connection: close\r\n") if n == 1 else b"") as (url, connections):
        await client.post(url, b"{}", {})
        await client.post(url, b"{}", {})
    await client.close()
    assert len(connections) == 2


async def test_a_connection_the_peer_closed_while_idle_is_replaced() -> None:
    # The peer answers one request per connection and then closes without saying so.
    client = HTTPClient()
    async with peer(lambda n: fixed(b"{}") if n == 1 else b"") as (url, connections):
        for _ in range(3):
            assert await client.post(url, b"{}", {}) == (200, b"{}")
    await client.close()
    assert len(connections) == 3


async def test_refused_connection_and_truncated_answer_are_errors() -> None:
    client = HTTPClient()
    with pytest.raises(HTTPError, match=r"cannot connect to 127\.0\.0\.1:1"):
        await client.post("http://127.0.0.1:1/graphql", b"{}", {})
    truncated = b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{"
    async with peer(lambda n: truncated, close_after_reply=True) as (url, _):
        with pytest.raises(HTTPError, match="middle of the response body"):
            await client.post(url, b"{}", {})
    await client.close()


async def test_header_injection_is_refused() -> None:
    with pytest.raises(HTTPError, match="line break"):
        await HTTPClient().post("http://127.0.0.1:1/graphql", b"{}", {"authorization": "x\r\nevil: 1"})


async def test_a_request_that_may_have_been_read_is_not_sent_again() -> None:
    # The peer reads the second request on a connection, then closes without answering.
    client = HTTPClient()
    async with peer(lambda n: fixed(b"{}") if n == 1 else b"") as (url, connections):
        assert await client.post(url, b"{}", {}) == (200, b"{}")
        with pytest.raises(HTTPError, match="closed before a response"):
            await client.post(url, b"{}", {}, idempotent=False)
    await client.close()
    assert len(connections) == 1


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n-2\r\n",
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n" + b"1" * 70_000 + b"\r\n",
    ],
)
async def test_malformed_framing_is_an_http_error(answer: bytes) -> None:
    client = HTTPClient()
    async with peer(lambda n: answer, close_after_reply=True) as (url, _):
        with pytest.raises(HTTPError, match=r"malformed|negative"):
            await client.post(url, b"{}", {})
    await client.close()


async def test_no_content_has_no_body() -> None:
    client = HTTPClient()
    async with peer(lambda n: b"HTTP/1.1 204 No Content\r\n\r\n") as (url, _):
        assert await client.post(url, b"{}", {}) == (204, b"")
    await client.close()
