"""Slow clients, as a weak mobile connection (or an attacker) makes them: bounded, loopback only.

* slow-header clients open a connection and send an incomplete `GET`, then one more header line
  every `--header-interval` seconds, never the blank line that ends the request;
* slow-reading clients send a whole request for a large answer (a department feed, ~200 KB) and
  read it `--read-bytes` bytes at a time every `--read-interval` seconds, with a 4 KB receive
  buffer, so the server can only send as fast as they read.

When the server drops one (a timeout, a 408, the end of the answer), it reconnects, so the
pressure stays for the whole `--duration`; then every socket is closed and the counts are
printed as one JSON line. Used by geosvc_tools/topology_bench.py and tests/test_topology.py:

    python -m geosvc_tools.slow_clients --port 8000 --headers 500 --readers 200 --duration 20
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import resource
import socket
import sys
import time

HOST = "127.0.0.1"  # loopback only
MAX_CLIENTS = 5000
MAX_DURATION_S = 600.0


@dataclasses.dataclass
class Counts:
    connections: int = 0  # connections opened
    dropped: int = 0  # closed by the server while the client was still slow
    refused: int = 0  # connection attempts that failed
    bytes_read: int = 0
    answers_completed: int = 0  # slow readers that got to the end of an answer
    open_now: int = 0
    open_max: int = 0


def _opened(counts: Counts) -> None:
    counts.connections += 1
    counts.open_now += 1
    counts.open_max = max(counts.open_max, counts.open_now)


async def _connect(port: int, receive_buffer: int | None = None, limit: int = 2048):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.setblocking(False)
    try:
        await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, (HOST, port)), timeout=5)
    except BaseException:
        sock.close()
        raise
    # a small limit: the stream stops reading from the socket when it holds 2 x limit bytes
    return await asyncio.open_connection(sock=sock, limit=limit)


async def slow_header(port: int, path: str, deadline: float, interval_s: float, counts: Counts) -> None:
    while time.monotonic() < deadline:
        try:
            reader, writer = await _connect(port)
        except (TimeoutError, OSError):
            counts.refused += 1
            await asyncio.sleep(0.5)
            continue
        _opened(counts)
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: slow-header\r\n".encode())
            await writer.drain()
            while time.monotonic() < deadline:
                await asyncio.sleep(min(interval_s, max(0.0, deadline - time.monotonic())))
                if reader.at_eof() or writer.is_closing():
                    counts.dropped += 1
                    break
                writer.write(b"X-Slow: 1\r\n")
                await writer.drain()
        except OSError:
            counts.dropped += 1
        finally:
            counts.open_now -= 1
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1)


async def slow_reader(port: int, path: str, deadline: float, interval_s: float, chunk: int, counts: Counts) -> None:
    while time.monotonic() < deadline:
        try:
            reader, writer = await _connect(port, receive_buffer=4096)
        except (TimeoutError, OSError):
            counts.refused += 1
            await asyncio.sleep(0.5)
            continue
        _opened(counts)
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: slow-reader\r\n"
                         "Connection: close\r\n\r\n".encode())
            await writer.drain()
            while time.monotonic() < deadline:
                data = await asyncio.wait_for(reader.read(chunk), timeout=max(0.1, deadline - time.monotonic()))
                if not data:
                    counts.answers_completed += 1
                    break
                counts.bytes_read += len(data)
                await asyncio.sleep(min(interval_s, max(0.0, deadline - time.monotonic())))
        except (TimeoutError, OSError):
            if time.monotonic() < deadline:
                counts.dropped += 1
        finally:
            counts.open_now -= 1
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1)


async def run(port: int, headers: int, readers: int, duration_s: float, *, header_path: str = "/communes/59350/nearest",
              read_path: str = "/departements/59/communes", header_interval_s: float = 2.0,
              read_interval_s: float = 1.0, read_bytes: int = 1024, ramp_s: float = 1.0) -> Counts:
    if headers + readers > MAX_CLIENTS or duration_s > MAX_DURATION_S:
        raise ValueError(f"at most {MAX_CLIENTS} clients for at most {MAX_DURATION_S:.0f} s")
    counts = Counts()
    deadline = time.monotonic() + duration_s
    tasks = []
    total = max(1, headers + readers)
    for number in range(total):
        if number < headers:
            tasks.append(asyncio.create_task(slow_header(port, header_path, deadline, header_interval_s, counts)))
        else:
            tasks.append(asyncio.create_task(
                slow_reader(port, read_path, deadline, read_interval_s, read_bytes, counts)))
        await asyncio.sleep(ramp_s / total)  # spread the connections over the ramp
    await asyncio.wait(tasks, timeout=duration_s + 10)
    for task in tasks:
        task.cancel()
    return counts


def raise_descriptor_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--headers", type=int, default=500, help="slow-header clients")
    parser.add_argument("--readers", type=int, default=200, help="slow-reading clients")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds, then every socket is closed")
    parser.add_argument("--header-path", default="/communes/59350/nearest")
    parser.add_argument("--read-path", default="/departements/59/communes")
    parser.add_argument("--header-interval", type=float, default=2.0)
    parser.add_argument("--read-interval", type=float, default=1.0)
    parser.add_argument("--read-bytes", type=int, default=1024)
    args = parser.parse_args(argv)
    raise_descriptor_limit(args.headers + args.readers + 256)
    counts = asyncio.run(run(args.port, args.headers, args.readers, args.duration, header_path=args.header_path,
                             read_path=args.read_path, header_interval_s=args.header_interval,
                             read_interval_s=args.read_interval, read_bytes=args.read_bytes))
    print(json.dumps(dataclasses.asdict(counts)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
