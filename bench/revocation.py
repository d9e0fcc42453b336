"""How long a change of rights takes to reach an open socket, on the same and another process.

Against running servers (see README): the owner (the bench user) makes a member viewer,
then editor again, through the REST API of the first process, while the member's socket
is open on the first process ("same") or the second ("other"); the script times each
change from the moment the request left to the moment the socket got `access_changed`
(so the figure includes the API call itself; the notice is published when the change
commits, before the API answers). It prints p50/p95/max per placement. The member
account is created on first use.

    .venv/bin/python bench/revocation.py --url ws://127.0.0.1:8101/ws/collab/ \\
        --url ws://127.0.0.1:8102/ws/collab/ --api http://127.0.0.1:8101 \\
        --username bench --password bench-password-123 --rounds 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.client import percentile
from bench.collab_load import api_call, login

MEMBER = "bench_member"
MEMBER_PASSWORD = "bench-member-password-123"


def member_token(api: str) -> str:
    try:
        api_call(
            api,
            "/api/auth/register",
            body={
                "username": MEMBER,
                "email": f"{MEMBER}@example.org",
                "password": MEMBER_PASSWORD,
            },
        )
    except urllib.error.HTTPError as exc:
        if exc.code != 400:  # 400: the account exists already
            raise
    return login(api, MEMBER, MEMBER_PASSWORD)


def set_role(api: str, token: str, document_id: str, role: str) -> None:
    api_call(
        api,
        f"/api/documents/{document_id}/members/",
        token=token,
        body={"username": MEMBER, "role": role},
    )


async def time_changes(args, owner: str, member: str, document_id: str, url: str) -> list[float]:
    ws = await websockets.connect(url, max_size=None)
    await ws.send(json.dumps({"type": "authenticate", "token": member, "document_id": document_id}))
    joined = json.loads(await ws.recv())
    assert joined["type"] == "authenticated" and joined["can_edit"], joined
    latencies = []
    for n in range(args.rounds * 2):
        role = "viewer" if n % 2 == 0 else "editor"
        sent = time.perf_counter()
        await asyncio.to_thread(set_role, args.api, owner, document_id, role)
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if frame.get("type") == "access_changed":
                assert frame["can_edit"] is (role == "editor"), frame
                latencies.append((time.perf_counter() - sent) * 1000)
                break
    await ws.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", action="append", required=True, help="WebSocket URL (twice)")
    parser.add_argument("--api", required=True, help="HTTP base of the first process")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--rounds", type=int, default=50, help="viewer/editor round trips")
    args = parser.parse_args()
    if len(args.url) != 2:
        parser.error("give the first and the second process's --url")
    owner = login(args.api, args.username, args.password)
    member = member_token(args.api)
    created = api_call(
        args.api,
        "/api/documents/",
        token=owner,
        body={"title": f"Rights {int(time.time())}", "content": "rights",
              "visibility": "public", "edit_policy": "members"},
    )  # fmt: skip
    document_id = str(created["id"])
    set_role(args.api, owner, document_id, "editor")
    for placement, url in (("same", args.url[0]), ("other", args.url[1])):
        latencies = asyncio.run(time_changes(args, owner, member, document_id, url))
        print(
            f"{placement:6} {len(latencies)} changes: request sent -> access_changed, ms"
            f"  p50 {percentile(latencies, 50):6.1f}  p95 {percentile(latencies, 95):6.1f}"
            f"  max {max(latencies):6.1f}"
        )


if __name__ == "__main__":
    main()
