"""zk_acl against a real ZooKeeper: every change re-run to prove it is idempotent."""

import itertools

import pytest
from kazoo.exceptions import NoAuthError
from kazoo.security import make_digest_acl, OPEN_ACL_UNSAFE

from ansible_collections.fateflow.ha.plugins.module_utils.zookeeper import digest_id
from ansible_collections.fateflow.ha.plugins.modules import zk_acl
from ansible_collections.fateflow.ha.tests.support.module_runner import run_module

FATE = ("fate", "fate_zk_pass")
FATE_CREDENTIAL = "%s:%s" % FATE
FATE_ID = digest_id(*FATE)
FATE_ACL = [{"scheme": "digest", "username": FATE[0], "password": FATE[1], "perms": "all"}]
NAMES = ("/t%d" % n for n in itertools.count())


@pytest.fixture
def path():
    return next(NAMES)


@pytest.fixture
def run(zookeeper):
    def call(check_mode=False, diff=False, **args):
        args.setdefault("hosts", [zookeeper.hosts])
        args.setdefault("timeout", 5)
        return run_module(zk_acl.main, args, check_mode=check_mode, diff=diff)
    return call


def make_tree(client, root, fanout=3, depth=3):
    """root plus fanout + fanout^2 + ... nodes, open to anyone; returns every path."""
    paths = [root]
    client.create(root, b"", acl=OPEN_ACL_UNSAFE)
    level = [root]
    for _ in range(depth):
        level = ["%s/n%d" % (parent, i) for parent in level for i in range(fanout)]
        for child in level:
            client.create(child, b"", acl=OPEN_ACL_UNSAFE)
        paths.extend(level)
    return paths


def test_create_then_idempotent(run, path, kazoo_client):
    first = run(name=path + "/a/b", value="v1", acls=FATE_ACL, auth_credential=FATE_CREDENTIAL)
    assert first["changed"], first
    # The missing parents are created too, and listed (regression: only the node was).
    assert first["changed_paths"] == [path, path + "/a", path + "/a/b"]
    assert first["acls"] == [{"scheme": "digest", "id": FATE_ID, "perms": "cdrwa"}]
    again = run(name=path + "/a/b", value="v1", acls=FATE_ACL, auth_credential=FATE_CREDENTIAL)
    assert not again["changed"], again
    assert again["changed_paths"] == []
    fate = kazoo_client(auth=[("digest", FATE_CREDENTIAL)])
    assert fate.get(path + "/a/b")[0] == b"v1"
    # Missing parents are made with the node's own ACL, as FATE Flow's client makes them.
    acls, _stat = fate.get_acls(path + "/a")
    assert [(a.id.scheme, a.id.id, a.perms) for a in acls] == [("digest", FATE_ID, 31)]


def test_anonymous_client_refused_on_protected_node(run, path, kazoo_client):
    run(name=path, acls=FATE_ACL, auth_credential=FATE_CREDENTIAL)
    with pytest.raises(NoAuthError):
        kazoo_client().get(path)
    result = run(name=path, acls=FATE_ACL)
    assert result["failed"]
    assert result["msg"] == "Not allowed to read the ACL of %s: the credential given lacks permission there." % path


def test_wrong_credential_refused(run, path):
    run(name=path, acls=FATE_ACL, auth_credential=FATE_CREDENTIAL)
    result = run(name=path, acls=FATE_ACL, auth_credential="fate:wrong")
    assert result["failed"]
    assert "lacks permission" in result["msg"]
    assert "wrong" not in result["msg"]


def test_check_mode_changes_nothing(run, path, kazoo_client):
    created = run(check_mode=True, name=path, acls=FATE_ACL, auth_credential=FATE_CREDENTIAL)
    assert created["changed"]
    client = kazoo_client()
    assert client.exists(path) is None
    client.create(path, b"old", acl=OPEN_ACL_UNSAFE)
    changed = run(check_mode=True, name=path, value="new", acls=FATE_ACL, auth_credential=FATE_CREDENTIAL)
    assert changed["changed"]
    assert changed["acls"] == [{"scheme": "digest", "id": FATE_ID, "perms": "cdrwa"}]
    data, _stat = client.get(path)
    assert data == b"old"
    assert [(a.id.scheme, a.id.id, a.perms) for a in client.get_acls(path)[0]] == [("world", "anyone", 31)]


def test_diff(run, path, kazoo_client):
    kazoo_client().create(path, b"old", acl=OPEN_ACL_UNSAFE)
    result = run(diff=True, name=path, value="new", acls=FATE_ACL, auth_credential=FATE_CREDENTIAL)
    assert result["changed"]
    assert "acl: world:anyone:cdrwa" in result["diff"]["before"]
    assert "value: old" in result["diff"]["before"]
    assert "acl: digest:%s:cdrwa" % FATE_ID in result["diff"]["after"]
    assert "value: new" in result["diff"]["after"]


def test_data_left_alone_when_value_omitted(run, path, kazoo_client):
    client = kazoo_client()
    client.create(path, b"keep", acl=OPEN_ACL_UNSAFE)
    result = run(name=path, acls=[{"scheme": "world", "perms": "cdrwa"}])
    assert not result["changed"]
    assert client.get(path)[0] == b"keep"


def test_acl_left_alone_when_acls_omitted(run, path, kazoo_client):
    client = kazoo_client()
    client.create(path, b"", acl=[make_digest_acl("other", "x", all=True), make_digest_acl(*FATE, all=True)])
    result = run(name=path, value="", auth_credential=FATE_CREDENTIAL)
    assert not result["changed"], result
    assert len(result["acls"]) == 2


def test_recursive_applies_and_rerun_changes_nothing(run, path, kazoo_client):
    paths = make_tree(kazoo_client(), path)
    assert len(paths) == 40
    result = run(name=path, acls=FATE_ACL, recursive=True, auth_credential=FATE_CREDENTIAL)
    assert result["changed"]
    assert sorted(result["changed_paths"]) == sorted(paths)
    assert result["nodes_checked"] == 40
    again = run(name=path, acls=FATE_ACL, recursive=True, auth_credential=FATE_CREDENTIAL)
    assert not again["changed"]
    assert again["nodes_checked"] == 40
    anonymous = kazoo_client()
    for node in paths:
        with pytest.raises(NoAuthError):
            anonymous.get(node)


def test_recursive_fixes_only_what_differs(run, path, kazoo_client):
    paths = make_tree(kazoo_client(), path, fanout=2, depth=2)
    run(name=path, acls=FATE_ACL, recursive=True, auth_credential=FATE_CREDENTIAL)
    fate = kazoo_client(auth=[("digest", FATE_CREDENTIAL)])
    fate.set_acls(paths[-1], OPEN_ACL_UNSAFE)
    result = run(name=path, acls=FATE_ACL, recursive=True, auth_credential=FATE_CREDENTIAL)
    assert result["changed_paths"] == [paths[-1]]


def test_recursive_never_locks_itself_out_half_way(run, path, kazoo_client):
    # The new ACL grants the module's own credential nothing: a change that read a
    # parent's children after changing the parent would stop at the first level.
    paths = make_tree(kazoo_client(), path, fanout=2, depth=3)
    other = [{"scheme": "digest", "username": "other", "password": "secret", "perms": "all"}]
    result = run(name=path, acls=other, recursive=True, auth_credential=FATE_CREDENTIAL)
    assert result["changed"], result
    assert len(result["changed_paths"]) == len(paths)
    owner = kazoo_client(auth=[("digest", "other:secret")])
    for node in paths:
        assert [(a.id.scheme, a.id.id) for a in owner.get_acls(node)[0]] == [("digest", digest_id("other", "secret"))]


def test_auth_scheme_is_stored_as_the_session_identity(run, path):
    acls = [{"scheme": "auth", "perms": "all"}]
    first = run(name=path, acls=acls, auth_credential=FATE_CREDENTIAL)
    assert first["acls"] == [{"scheme": "digest", "id": FATE_ID, "perms": "cdrwa"}]
    assert not run(name=path, acls=acls, auth_credential=FATE_CREDENTIAL)["changed"]


def test_several_entries_and_perms(run, path):
    acls = FATE_ACL + [{"scheme": "ip", "id": "127.0.0.1", "perms": "r"}]
    assert run(name=path, acls=acls, auth_credential=FATE_CREDENTIAL)["changed"]
    # Same set, other order and spelling: nothing to do.
    same = [{"scheme": "ip", "id": "127.0.0.1", "perms": "r"},
            {"scheme": "digest", "id": FATE_ID, "perms": "cdrwa"}]
    assert not run(name=path, acls=same, auth_credential=FATE_CREDENTIAL)["changed"]
    narrower = [{"scheme": "digest", "id": FATE_ID, "perms": "cdrwa"}]
    result = run(name=path, acls=narrower, auth_credential=FATE_CREDENTIAL)
    assert result["changed"]
    assert result["acls"] == [{"scheme": "digest", "id": FATE_ID, "perms": "cdrwa"}]


def test_absent(run, path, kazoo_client):
    make_tree(kazoo_client(), path, fanout=2, depth=1)
    refused = run(name=path, state="absent")
    assert refused["failed"]
    assert "has 2 children; set recursive" in refused["msg"]
    assert refused["exists"]  # regression: a node left in place was reported as not existing
    checked = run(check_mode=True, name=path, state="absent", recursive=True)
    assert checked["changed"]
    assert kazoo_client().exists(path)
    assert checked["changed_paths"] == sorted([path, path + "/n0", path + "/n1"])
    assert not checked["exists"]
    removed = run(name=path, state="absent", recursive=True)
    assert removed["changed"]
    assert removed["changed_paths"] == sorted([path, path + "/n0", path + "/n1"])
    assert not removed["exists"]
    assert kazoo_client().exists(path) is None
    assert not run(name=path, state="absent", recursive=True)["changed"]


def test_absent_without_permission(run, path, kazoo_client):
    # Deleting needs DELETE on the parent: here the parent belongs to FATE.
    run(name=path + "/child", acls=FATE_ACL, auth_credential=FATE_CREDENTIAL)
    result = run(name=path + "/child", state="absent", auth_credential="fate:wrong")
    assert result["failed"]
    assert result["msg"].startswith("Not allowed to remove %s/child" % path)


def acl_of(client, node):
    return {(a.id.scheme, a.id.id, a.perms) for a in client.get_acls(node)[0]}


def test_recursive_stopped_part_way_reports_exactly_what_changed(run, path, kazoo_client):
    # Regression: a node part-way that grants read but not admin (another credential's node) stopped
    # the change after hundreds of nodes and the module said changed: false.
    client = kazoo_client()
    paths = make_tree(client, path, fanout=3, depth=3)
    locked = path + "/n1"
    client.set_acls(locked, [make_digest_acl("other", "x", all=True), make_digest_acl("anyone", "", read=True)]
                    + [OPEN_ACL_UNSAFE[0].__class__(1, OPEN_ACL_UNSAFE[0].id)])
    result = run(name=path, acls=FATE_ACL, recursive=True, auth_credential=FATE_CREDENTIAL)
    assert result["failed"] and result["changed"], result
    assert result["failed_path"] == locked
    assert "Not allowed to set the ACL of %s" % locked in result["msg"]
    fate = kazoo_client(auth=[("digest", FATE_CREDENTIAL)])
    really_changed = sorted(p for p in paths if acl_of(fate, p) == {("digest", FATE_ID, 31)})
    assert result["changed_paths"] == really_changed
    # Every level below the refusing node is done, and its siblings; nothing above.
    assert len(really_changed) == 27 + 9 + 2
    assert path not in really_changed and locked not in really_changed
    assert "Changed %d of %d nodes, then stopped" % (len(really_changed), len(paths)) in result["msg"]


def test_absent_recursive_names_the_node_that_refused(run, path, kazoo_client):
    # Regression: the message named the root, and changed was false after removing nodes.
    client = kazoo_client()
    paths = make_tree(client, path, fanout=2, depth=2)
    guarded = path + "/n1"
    read_only = OPEN_ACL_UNSAFE[0].__class__(1 | 16, OPEN_ACL_UNSAFE[0].id)  # read + admin, no delete
    client.set_acls(guarded, [read_only])
    result = run(name=path, state="absent", recursive=True)
    assert result["failed"] and result["changed"] and result["exists"], result
    assert result["failed_path"] in (guarded + "/n0", guarded + "/n1")
    assert "needs the delete permission on its parent %s" % guarded in result["msg"]
    assert result["changed_paths"] == sorted(p for p in paths if client.exists(p) is None)
    assert result["changed_paths"] == sorted([path + "/n0/n0", path + "/n0/n1"])
