"""The client id allocator never hands out an id twice, across restarts and SIGKILLs."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from tui_app.store import ClientIdsExhausted, OrderStore


async def test_ids_are_unique_consecutive_uint32_and_persist(tmp_path):
    path = tmp_path / "o.sqlite3"
    async with await OrderStore.open(path) as store:
        first = await store.allocate_client_ids(5)
        single = await store.allocate_client_id()
    assert all(0 <= i < 2**32 for i in first)
    assert len(set(first)) == 5 and single == (first[-1] + 1) % 2**32
    async with await OrderStore.open(path) as store:
        assert await store.allocate_client_id() == (single + 1) % 2**32


async def test_concurrent_allocations_never_collide(tmp_path):
    async with await OrderStore.open(tmp_path / "o.sqlite3") as store:
        batches = await asyncio.gather(*(store.allocate_client_ids(3) for _ in range(30)))
    ids = [i for batch in batches for i in batch]
    assert len(ids) == len(set(ids)) == 90


async def test_each_database_starts_somewhere_random(tmp_path):
    starts = set()
    for n in range(3):
        async with await OrderStore.open(tmp_path / f"{n}.sqlite3") as store:
            starts.add(await store.allocate_client_id())
    assert len(starts) == 3


async def test_wraps_at_2_pow_32_and_refuses_when_exhausted(tmp_path):
    path = tmp_path / "o.sqlite3"
    async with await OrderStore.open(path):
        pass
    conn = sqlite3.connect(path)
    conn.execute("UPDATE client_id_allocator SET next_id = ?, allocated = ?", (2**32 - 2, 10))
    conn.commit()
    conn.close()
    async with await OrderStore.open(path) as store:
        assert await store.allocate_client_ids(3) == [2**32 - 2, 2**32 - 1, 0]
    conn = sqlite3.connect(path)
    conn.execute("UPDATE client_id_allocator SET allocated = ?", (2**32 - 1,))
    conn.commit()
    conn.close()
    async with await OrderStore.open(path) as store:
        with pytest.raises(ClientIdsExhausted):
            await store.allocate_client_ids(2)
        assert await store.allocate_client_ids(1)  # the very last one is still available
        with pytest.raises(ValueError):
            await store.allocate_client_ids(0)


async def test_sigkill_between_allocations_never_reuses_an_id(tmp_path):
    path = tmp_path / "o.sqlite3"
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from tui_app.store import OrderStore

        async def main():
            store = await OrderStore.open({str(path)!r})
            while True:
                print(await store.allocate_client_id(), flush=True)

        asyncio.run(main())
        """
    )
    handed_out: list[int] = []
    for _ in range(3):
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
        try:
            assert proc.stdout is not None
            for _ in range(40):
                handed_out.append(int(proc.stdout.readline()))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            proc.stdout.close()  # type: ignore[union-attr]
    async with await OrderStore.open(path) as store:
        assert await store.integrity_check() == ["ok"]
        after = await store.allocate_client_ids(50)
    assert len(set(handed_out)) == len(handed_out)
    assert not set(after) & set(handed_out)


async def test_next_client_id_hands_out_a_committed_reserve(tmp_path):
    from tui_app.store.store import CLIENT_ID_RESERVE

    path = tmp_path / "orders.sqlite3"
    store = await OrderStore.open(path)
    try:
        first = await store.next_client_id()
        rest = [await store.next_client_id() for _ in range(CLIENT_ID_RESERVE)]
        # One reserve, then the first id of the next one.
        assert rest[: CLIENT_ID_RESERVE - 1] == [(first + i) % 2**32
                                                 for i in range(1, CLIENT_ID_RESERVE)]
    finally:
        await store.close()
    # The whole second reserve counts as handed out: a new store never reuses any of it.
    store = await OrderStore.open(path)
    try:
        assert await store.next_client_id() == (first + 2 * CLIENT_ID_RESERVE) % 2**32
    finally:
        await store.close()
