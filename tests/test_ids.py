"""Record ids: random version 4 UUIDs, never the same twice, not even across forked workers."""

import os
import uuid

from registry.records.model import new_id


def test_ids_are_version_4_uuids_as_uuid_writes_them():
    ids = [new_id() for _ in range(5000)]  # the random pool is read anew many times over
    assert len(set(ids)) == len(ids)
    for record_id in ids:
        parsed = uuid.UUID(record_id)
        assert str(parsed) == record_id
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)


def test_a_forked_worker_makes_other_ids_than_its_parent():
    new_id()  # the parent has random bytes in hand when it forks
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        os.write(write, "".join(new_id() for _ in range(10)).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    with os.fdopen(read) as pipe:
        childs = pipe.read()
    parents = "".join(new_id() for _ in range(10))
    assert len(childs) == len(parents) == 360
    assert childs != parents
