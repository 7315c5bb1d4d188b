"""Throughput of the fake Bot API server: `python -m sandbox.botapi.bench [--requests N]
[--threads T] [--processes P] [--limits]`.

Sends sendMessage (HTML text + inline keyboard, one chat per request, 3,000 registered
users) with plain httpx from a thread pool, in this process (the server then shares the
GIL with the clients) or from P client processes (closer to a bot in its own process).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from sandbox.botapi import FakeBotAPI

USERS = 3000
KEYBOARD = json.dumps({"inline_keyboard": [[{"text": "Xem chi tiết", "callback_data": "ann:42"}]]})


def _blast(base_url: str, first: int, count: int, threads: int) -> None:
    limits = httpx.Limits(max_connections=threads, max_keepalive_connections=threads)
    with httpx.Client(base_url=base_url, timeout=30, limits=limits) as client:

        def one(i: int) -> None:
            data = {"chat_id": str(i % USERS + 1), "text": f"<b>Thông báo</b> số {i}", "parse_mode": "HTML", "reply_markup": KEYBOARD}
            response = client.post("sendMessage", data=data)
            if response.status_code not in (200, 429):
                raise RuntimeError(response.text)

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(one, range(first, first + count)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=8, help="client threads (per process)")
    parser.add_argument("--processes", type=int, default=0, help="client processes (0: threads in this process)")
    parser.add_argument("--limits", action="store_true", help="enforce the rate limits (most requests get 429)")
    args = parser.parse_args()
    with FakeBotAPI(enforce_limits=args.limits) as api:
        api.register_users(range(1, USERS + 1))
        base_url = f"{api.url}/bot{api.token}/"
        _blast(base_url, 0, 100, args.threads)  # warm up
        started = time.perf_counter()
        if args.processes:
            share = args.requests // args.processes
            workers = [
                multiprocessing.Process(target=_blast, args=(base_url, 100 + k * share, share, args.threads))
                for k in range(args.processes)
            ]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            total = share * args.processes
        else:
            _blast(base_url, 100, args.requests, args.threads)
            total = args.requests
        elapsed = time.perf_counter() - started
        where = f"{args.processes} process(es) x {args.threads} threads" if args.processes else f"{args.threads} threads in-process"
        print(
            f"{total} sendMessage in {elapsed:.2f}s = {total / elapsed:.0f} requests/s ({where}); "
            f"accepted {api.delivery_count}, 429: {len(api.limit_violations)}, violations: {len(api.violations)}"
        )


if __name__ == "__main__":
    main()
