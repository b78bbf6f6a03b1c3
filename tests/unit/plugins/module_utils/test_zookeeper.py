"""ACL normalisation, digest hashing and permission letters of module_utils.zookeeper."""

import pytest

from ansible_collections.fateflow.ha.plugins.module_utils import zookeeper as zk


@pytest.mark.parametrize("user, password, expected", [
    # Values printed by ZooKeeper's own DigestAuthenticationProvider (zookeeper.jar 3.8).
    ("super", "admin", "super:xQJmxLMiHGwaqBvst5y6rkB6HQs="),
    ("fate", "fate", "fate:3TfzM2VxkWu8TEjoqf95CBJqfEQ="),
])
def test_digest_id_matches_zookeeper(user, password, expected):
    assert zk.digest_id(user, password) == expected


@pytest.mark.parametrize("perms, bits", [
    ("all", 31), ("ALL", 31), ("cdrwa", 31), ("awrdc", 31), ("r", 1), ("w", 2), ("c", 4),
    ("d", 8), ("a", 16), ("rw", 3), ("rr", 1), (31, 31), ("17", 17),
])
def test_parse_perms(perms, bits):
    assert zk.parse_perms(perms) == bits


# 0 grants nothing (an entry that does nothing is a mistake); "\u00b2" is a digit to str.isdigit only.
@pytest.mark.parametrize("perms", ["x", "rwx", "", 32, -1, "read", 0, "0", "\u00b2", True, None, ["r"]])
def test_parse_perms_refuses(perms):
    with pytest.raises(ValueError):
        zk.parse_perms(perms)


@pytest.mark.parametrize("bits, letters", [(31, "cdrwa"), (1, "r"), (3, "rw"), (16, "a"), (0, "")])
def test_format_perms(bits, letters):
    assert zk.format_perms(bits) == letters


@pytest.mark.parametrize("entry, expected", [
    ({"scheme": "world", "perms": "all"}, ("world", "anyone", 31)),
    ({"scheme": "WORLD", "id": "anyone", "perms": "r"}, ("world", "anyone", 1)),
    ({"scheme": "digest", "username": "fate", "password": "fate", "perms": "all"},
     ("digest", "fate:3TfzM2VxkWu8TEjoqf95CBJqfEQ=", 31)),
    ({"scheme": "digest", "id": "fate:3TfzM2VxkWu8TEjoqf95CBJqfEQ=", "perms": "rw"},
     ("digest", "fate:3TfzM2VxkWu8TEjoqf95CBJqfEQ=", 3)),
    ({"scheme": "ip", "id": "10.0.0.0/24", "perms": "r"}, ("ip", "10.0.0.0/24", 1)),
    ({"scheme": "auth", "perms": "all"}, ("auth", "", 31)),
    ({"scheme": "sasl", "id": "fate", "perms": "cdrwa"}, ("sasl", "fate", 31)),
    ({"scheme": "x509", "id": "CN=fate", "perms": "a"}, ("x509", "CN=fate", 16)),
])
def test_normalize_acl_entry(entry, expected):
    assert zk.normalize_acl_entry(entry) == expected


@pytest.mark.parametrize("entry, words", [
    ({"scheme": "kerberos", "id": "x", "perms": "all"}, "unknown"),
    ({"scheme": "ip", "perms": "r"}, "needs an id"),
    ({"scheme": "world", "id": "someone", "perms": "r"}, "anyone"),
    ({"scheme": "ip", "username": "u", "password": "p", "perms": "r"}, "digest scheme only"),
    ({"scheme": "digest", "username": "u", "perms": "r"}, "both username and password"),
    ({"scheme": "digest", "id": "plainuser", "perms": "r"}, "user:base64hash"),
    ({"scheme": "digest", "id": "u:h", "username": "u", "password": "p", "perms": "r"}, "not both"),
    ({"scheme": "world", "perms": "rwz"}, "letters"),
])
def test_normalize_acl_entry_refuses(entry, words):
    with pytest.raises(ValueError, match=words):
        zk.normalize_acl_entry(entry)


def test_normalize_acls_is_order_free_and_merges_one_identity():
    first = zk.normalize_acls([
        {"scheme": "digest", "username": "fate", "password": "fate", "perms": "r"},
        {"scheme": "world", "perms": "r"},
        {"scheme": "digest", "id": "fate:3TfzM2VxkWu8TEjoqf95CBJqfEQ=", "perms": "cdwa"},
    ])
    second = zk.normalize_acls([
        {"scheme": "world", "id": "anyone", "perms": "r"},
        {"scheme": "digest", "username": "fate", "password": "fate", "perms": "all"},
    ])
    assert first == second
    assert len(first) == 2


@pytest.mark.parametrize("acl_set, session, expected", [
    ({("auth", "", 31)}, [("digest", "fate:h")], {("digest", "fate:h", 31)}),
    ({("auth", "", 1), ("world", "anyone", 1)}, [("digest", "a:h")], {("digest", "a:h", 1), ("world", "anyone", 1)}),
    ({("world", "anyone", 31)}, [], {("world", "anyone", 31)}),
])
def test_resolve_auth_acl(acl_set, session, expected):
    assert zk.resolve_auth_acl(frozenset(acl_set), session) == frozenset(expected)


def test_resolve_auth_acl_without_credential():
    with pytest.raises(zk.ZookeeperModuleError, match="auth_credential"):
        zk.resolve_auth_acl(frozenset({("auth", "", 31)}), [])


@pytest.mark.parametrize("hosts, expected", [
    (["h1:2181,h2:2181"], "h1:2181,h2:2181"),
    (["h1:2181", " h2:2181 , h3:2181"], "h1:2181,h2:2181,h3:2181"),
])
def test_normalize_hosts(hosts, expected):
    assert zk.normalize_hosts(hosts) == expected


def test_normalize_hosts_empty():
    with pytest.raises(zk.ZookeeperModuleError):
        zk.normalize_hosts([" , "])


def test_kazoo_round_trip():
    acl_set = frozenset({("digest", "fate:h", 31), ("ip", "10.0.0.1", 1)})
    assert zk.acls_from_kazoo(zk.acls_to_kazoo(acl_set)) == acl_set
    assert zk.acls_for_output(acl_set) == [
        {"scheme": "digest", "id": "fate:h", "perms": "cdrwa"},
        {"scheme": "ip", "id": "10.0.0.1", "perms": "r"},
    ]


@pytest.mark.parametrize("credential, expected", [
    ("fate:fate", [("digest", "fate:3TfzM2VxkWu8TEjoqf95CBJqfEQ=")]),
    ("fate:pa:ss", [("digest", zk.digest_id("fate", "pa:ss"))]),
    (None, []),
    ("", []),
])
def test_session_identities(credential, expected):
    assert zk.session_identities({"auth_scheme": "digest", "auth_credential": credential}) == expected


class RecordingClient:
    """Stands in for KazooClient: records how connect() builds the session."""
    made = []

    def __init__(self, **kwargs):
        type(self).made.append(kwargs)

    def start(self, timeout):
        pass


@pytest.mark.parametrize("credential, auth_data", [
    (None, None),
    ("", None),  # '' is anonymous, so that module_defaults can pass it where it cannot omit
    ("fate:pw", [("digest", "fate:pw")]),
])
def test_connect_credential(monkeypatch, credential, auth_data):
    monkeypatch.setattr(zk, "KazooClient", RecordingClient)
    RecordingClient.made = []
    params = dict(hosts=["10.0.0.1:2181", "10.0.0.2:2181"], auth_scheme="digest", auth_credential=credential,
                  timeout=5.0, use_tls=False)
    zk.connect(params)
    assert RecordingClient.made == [dict({"hosts": "10.0.0.1:2181,10.0.0.2:2181", "timeout": 5.0},
                                         **({"auth_data": auth_data} if auth_data else {}))]


@pytest.mark.parametrize("changes, words", [
    (dict(auth_credential="fate"), "must be 'user:password'"),
    (dict(timeout=0), "above 0"),
    (dict(hosts=[" , "]), "hosts is empty"),
])
def test_connect_refuses(monkeypatch, changes, words):
    monkeypatch.setattr(zk, "KazooClient", RecordingClient)
    params = dict(dict(hosts=["10.0.0.1:2181"], auth_scheme="digest", auth_credential=None, timeout=5.0), **changes)
    with pytest.raises(zk.ZookeeperModuleError, match=words):
        zk.connect(params)
