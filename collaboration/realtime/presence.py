"""Who is on a document: expiring entries in Redis, refreshed by each process's heartbeat.

An entry per socket (`conn_id` -> user id, name, colour). A process that dies stops
refreshing its entries; another process's heartbeat then expires them and tells the
document's sockets that those people left. Without Redis the entries live in this process.
"""

from __future__ import annotations

import json
import logging
import time

import redis
from django.conf import settings
from redis.exceptions import RedisError

from . import process, publish, wire

logger = logging.getLogger(__name__)

PALETTE = [
    "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#46a5a5", "#f032e6", "#7a9a01",
    "#c0392b", "#008080", "#9a6324", "#800000", "#2e8b57", "#000075", "#b8860b", "#5b5ea6",
]  # fmt: skip


def user_color(user_id: int) -> str:
    """A stable colour per user, the same in every process and every session."""
    return PALETTE[(user_id * 7) % len(PALETTE)]


def public_user(info: dict) -> dict:
    return {"user_id": info["user_id"], "username": info["username"], "color": info["color"]}


def presence_frame(event: str, info: dict, participants: list[dict]) -> dict:
    """The protocol's `presence` frame: someone joined or left, and who is there now."""
    return {
        "type": "presence",
        "event": event,
        "user": public_user(info),
        "participants": participants,
    }


def one_per_user(infos: list[dict]) -> list[dict]:
    """Participants as the protocol lists them: once per user, by name."""
    seen: dict[int, dict] = {}
    for info in infos:
        seen.setdefault(info["user_id"], public_user(info))
    return sorted(seen.values(), key=lambda p: p["username"].lower())


def _keys(document_id: int) -> tuple[str, str]:
    base = f"{settings.REALTIME_PREFIX}:presence:{int(document_id)}"
    return base, base + ":info"


class LocalPresence:
    """Presence kept in this process only (no Redis)."""

    def __init__(self):
        self.entries: dict[int, dict[str, dict]] = {}

    async def set(self, document_id: int, conn_id: str, info: dict) -> None:
        self.entries.setdefault(document_id, {})[conn_id] = info

    async def remove(self, document_id: int, conn_id: str) -> None:
        self.entries.get(document_id, {}).pop(conn_id, None)

    async def list(self, document_id: int) -> list[dict]:
        return list(self.entries.get(document_id, {}).values())

    async def refresh(self, entries: dict[int, dict[str, dict]]) -> None:
        return None

    async def expire(self, document_ids: list[int]) -> dict[int, list[dict]]:
        return {}

    def infos(self, document_id: int) -> list[dict]:
        return list(self.entries.get(document_id, {}).values())


class RedisPresence:
    """Presence shared by every process: a sorted set of expiry times plus a hash of infos."""

    def __init__(self, client, fallback: LocalPresence):
        self.client = client
        self.fallback = fallback  # this process's own sockets, when Redis cannot answer

    async def set(self, document_id: int, conn_id: str, info: dict) -> None:
        await self.fallback.set(document_id, conn_id, info)
        zkey, hkey = _keys(document_id)
        ttl = settings.PRESENCE_TTL_SECONDS
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.zadd(zkey, {conn_id: time.time() + ttl})
                pipe.hset(hkey, conn_id, wire.dumps(info))
                pipe.expire(zkey, ttl * 4)
                pipe.expire(hkey, ttl * 4)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            logger.warning("presence update failed: %s", exc)

    async def remove(self, document_id: int, conn_id: str) -> None:
        await self.fallback.remove(document_id, conn_id)
        zkey, hkey = _keys(document_id)
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.zrem(zkey, conn_id)
                pipe.hdel(hkey, conn_id)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            logger.warning("presence removal failed: %s", exc)

    async def list(self, document_id: int) -> list[dict]:
        zkey, hkey = _keys(document_id)
        try:
            conns = await self.client.zrangebyscore(zkey, time.time(), "+inf")
            if not conns:
                return []
            infos = await self.client.hmget(hkey, conns)
        except (RedisError, OSError) as exc:
            logger.warning("presence read failed: %s", exc)
            return self.fallback.infos(document_id)
        return [json.loads(i) for i in infos if i]

    async def refresh(self, entries: dict[int, dict[str, dict]]) -> None:
        """Heartbeat: pushes the expiry of this process's live connections forward."""
        if not entries:
            return
        ttl = settings.PRESENCE_TTL_SECONDS
        expires = time.time() + ttl
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for document_id, conns in entries.items():
                    zkey, hkey = _keys(document_id)
                    pipe.zadd(zkey, dict.fromkeys(conns, expires))
                    pipe.hset(hkey, mapping={c: wire.dumps(info) for c, info in conns.items()})
                    pipe.expire(zkey, ttl * 4)
                    pipe.expire(hkey, ttl * 4)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            logger.warning("presence heartbeat failed: %s", exc)

    async def expire(self, document_ids: list[int]) -> dict[int, list[dict]]:
        """Removes entries whose process stopped refreshing them; returns what was removed."""
        removed: dict[int, list[dict]] = {}
        now = time.time()
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for document_id in document_ids:
                    pipe.zrangebyscore(_keys(document_id)[0], "-inf", now)
                found = await pipe.execute()  # one round trip for every document
            for document_id, stale in zip(document_ids, found, strict=True):
                if not stale:
                    continue
                zkey, hkey = _keys(document_id)
                infos = await self.client.hmget(hkey, stale)
                # zrem answers how many it removed: only one process reports each entry.
                for conn, info in zip(stale, infos, strict=True):
                    if await self.client.zrem(zkey, conn):
                        await self.client.hdel(hkey, conn)
                        if info:
                            removed.setdefault(document_id, []).append(json.loads(info))
        except (RedisError, OSError) as exc:
            logger.warning("presence expiry failed: %s", exc)
        return removed


Presence = LocalPresence | RedisPresence


def participants_now(document_id: int) -> list[dict]:
    """Who is on the document's live editor right now, from synchronous code (pages).

    Reads the same entries the sockets keep fresh: Redis when configured (every process),
    otherwise this process's own sockets. One entry per user.
    """
    infos: list[dict] = []
    if settings.REDIS_URL:
        zkey, hkey = _keys(document_id)
        try:
            client = publish.redis_client()
            conns = client.zrangebyscore(zkey, time.time(), "+inf")
            if conns:
                infos = [json.loads(i) for i in client.hmget(hkey, conns) if i]
        except (redis.RedisError, OSError) as exc:
            logger.warning("presence read failed: %s", exc)
            return []
    else:
        registry = process.serving()
        if registry is not None:
            infos = registry.local_presence_infos(int(document_id))
    return one_per_user(infos)
