"""Unit tests of fateflow.ha.eggroll_route: main() runs with patched arguments on real files."""

import json
import os
import shutil

from unittest import mock

import pytest
from ansible.module_utils import _internal
from ansible.module_utils.testing import patch_module_args

from ansible_collections.fateflow.ha.plugins.modules import eggroll_route

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        "fixtures", "route_table")
NGINX_FATEFLOW = {"party": "10000", "service": "fateflow", "ip": "192.168.0.10", "port": 9999}


def run_module(capsys, tmp_path, args, check_mode=False, diff=False):
    args = dict(args)
    args.update(_ansible_check_mode=check_mode, _ansible_diff=diff, _ansible_tmpdir=str(tmp_path),
                _ansible_remote_tmp=str(tmp_path), _ansible_keep_remote_files=False)
    # Other tests import controller code, which sends module warnings to the display instead of the
    # result; a module on a target host always returns them in the result.
    with patch_module_args(args), mock.patch.object(_internal, "is_controller", False):
        with pytest.raises(SystemExit):
            eggroll_route.main()
    return json.loads(capsys.readouterr().out)


def table_file(tmp_path, fixture):
    path = tmp_path / "route_table.json"
    if fixture:
        shutil.copy(os.path.join(FIXTURES, fixture), path)
    return path


def load(path):
    with open(path) as handle:
        return json.load(handle)


# (id, fixture, module args, expected route_table content or None, expected changed)
SUCCESS_CASES = [
    ("seed-before-ha-points-fateflow-at-nginx", "seed_before_ha.json",
     dict(routes=[dict(NGINX_FATEFLOW, ip="192.168.0.1")]),
     {"default": {"default": [{"ip": "192.168.0.3", "port": 9370}]},
      "10000": {"default": [{"ip": "192.168.0.1", "port": 9370}],
                "fateflow": [{"ip": "192.168.0.1", "port": 9999}]}},
     True),
    ("seed-after-ha-is-already-right", "seed.json",
     dict(routes=[dict(NGINX_FATEFLOW, ip="192.168.0.1")]), None, False),
    ("string-port-in-route-is-written-as-integer", "seed.json",
     dict(routes=[dict(NGINX_FATEFLOW, port="9999")]),
     {"default": {"default": [{"ip": "192.168.0.3", "port": 9370}]},
      "10000": {"default": [{"ip": "192.168.0.1", "port": 9370}],
                "fateflow": [{"ip": "192.168.0.10", "port": 9999}]}},
     True),
    ("string-ports-in-file-are-written-as-integers", "string_port.json",
     dict(routes=[dict(NGINX_FATEFLOW)]),
     {"9999": {"default": [{"ip": "192.168.0.3", "port": 9370}]},
      "10000": {"fateflow": [{"ip": "192.168.0.10", "port": 9999}]}},
     True),
    ("new-party-and-service-are-appended", "seed.json",
     dict(routes=[{"party": 9999, "ip": "192.168.0.5", "port": 9370, "is_secure": "false"}]),
     {"default": {"default": [{"ip": "192.168.0.3", "port": 9370}]},
      "10000": {"default": [{"ip": "192.168.0.1", "port": 9370}],
                "fateflow": [{"ip": "192.168.0.1", "port": 9999}]},
      "9999": {"default": [{"ip": "192.168.0.5", "port": 9370, "is_secure": False}]}},
     True),
    ("remove-a-route", "seed.json",
     dict(state="absent", routes=[{"party": "10000", "service": "fateflow"}]),
     {"default": {"default": [{"ip": "192.168.0.3", "port": 9370}]},
      "10000": {"default": [{"ip": "192.168.0.1", "port": 9370}]}},
     True),
    ("remove-last-service-removes-party", "seed.json",
     dict(state="absent", routes=[{"party": "default", "service": "default"}]),
     {"10000": {"default": [{"ip": "192.168.0.1", "port": 9370}],
                "fateflow": [{"ip": "192.168.0.1", "port": 9999}]}},
     True),
    ("remove-a-route-that-is-not-there", "seed.json",
     dict(state="absent", routes=[{"party": "9998", "service": "fateflow"}]), None, False),
    ("osx-with-self-party-keeps-tls-keys", "osx.json",
     dict(format="osx", routes=[dict(NGINX_FATEFLOW)]),
     {"9999": load(os.path.join(FIXTURES, "osx.json"))["route_table"]["9999"],
      "10000": {"fateflow": [{"ip": "192.168.0.10", "port": 9999}]}},
     True),
    ("osx-without-self-party-gets-it-from-the-option", "osx_without_self_party.json",
     dict(format="osx", self_party=["10000"], routes=[dict(NGINX_FATEFLOW)]), None, True),
    ("osx-http-route-needs-only-a-url", "osx.json",
     dict(format="osx", routes=[{"party": "10001", "protocol": "http", "url": "http://192.168.0.7:8087/osx/inbound"}]),
     None, True),
    ("create-a-missing-file", None,
     dict(create=True, routes=[dict(NGINX_FATEFLOW)]),
     {"10000": {"fateflow": [{"ip": "192.168.0.10", "port": 9999}]}},
     True),
    ("default-allow-only", "seed.json", dict(default_allow=False), None, True),
]


@pytest.mark.parametrize("fixture, args, expected_table, expected_changed",
                         [case[1:] for case in SUCCESS_CASES], ids=[case[0] for case in SUCCESS_CASES])
def test_merge_cases(capsys, tmp_path, fixture, args, expected_table, expected_changed):
    path = table_file(tmp_path, fixture)
    before = path.read_bytes() if fixture else None
    result = run_module(capsys, tmp_path, dict(args, path=str(path)))
    assert not result.get("failed"), result
    assert result["changed"] is expected_changed
    if expected_changed:
        written = json.loads(path.read_text())["route_table"]
        for party, services in result["changed_routes"].items():
            for service, endpoints in services.items():
                assert written.get(party, {}).get(service) == endpoints
    else:
        assert path.read_bytes() == before, "an unchanged table must not be rewritten"
    if expected_table is not None:
        assert load(path)["route_table"] == expected_table
    # Idempotent: the same call again changes nothing and leaves the bytes alone.
    written = path.read_bytes()
    again = run_module(capsys, tmp_path, dict(args, path=str(path)))
    assert again["changed"] is False, again
    assert again["changes"] == []
    assert path.read_bytes() == written


def test_untouched_keys_keep_their_order(capsys, tmp_path):
    path = table_file(tmp_path, "osx.json")
    run_module(capsys, tmp_path, dict(path=str(path), format="osx",
                                      routes=[{"party": "10000", "service": "fateflow", "ip": "10.0.0.1", "port": 9999},
                                              {"party": "0001", "ip": "10.0.0.2", "port": 9370}]))
    document = json.loads(path.read_text())
    assert list(document) == ["route_table", "self_party", "permission"]
    assert list(document["route_table"]) == ["9999", "10000", "0001"]
    assert list(document["route_table"]["9999"]["default"][0]) == [
        "protocol", "ip", "port", "useSSL", "negotiationType", "caFile", "certChainFile", "privateKeyFile"]


def test_osx_self_party_is_added_and_kept(capsys, tmp_path):
    path = table_file(tmp_path, "osx_without_self_party.json")
    run_module(capsys, tmp_path, dict(path=str(path), format="osx", self_party=["10000", "10001"]))
    assert load(path)["self_party"] == ["10000", "10001"]


# (id, fixture, module args, words the message must contain)
FAILURE_CASES = [
    ("duplicate-fateflow-key", "duplicate_fateflow.json", dict(routes=[NGINX_FATEFLOW]),
     ['"fateflow" twice', "/route_table/10000"]),
    ("seed-text-with-comments-is-not-json", "seed_with_comments.json", dict(routes=[NGINX_FATEFLOW]),
     ["is not valid JSON", "line 8, column 34"]),
    ("port-out-of-range", "seed.json", dict(routes=[dict(NGINX_FATEFLOW, port=70000)]),
     ["routes[0].port", "1-65535"]),
    ("port-not-a-number", "seed.json", dict(routes=[dict(NGINX_FATEFLOW, port="99x")]),
     ["routes[0].port", "1-65535"]),
    ("port-missing", "seed.json", dict(routes=[{"party": "10000", "service": "fateflow", "ip": "192.168.0.10"}]),
     ["routes[0].port"]),
    ("empty-ip", "seed.json", dict(routes=[dict(NGINX_FATEFLOW, ip=" ")]), ["routes[0].ip", "empty"]),
    ("empty-party", "seed.json", dict(routes=[dict(NGINX_FATEFLOW, party="")]), ["routes[0].party"]),
    ("same-route-twice", "seed.json", dict(routes=[NGINX_FATEFLOW, dict(NGINX_FATEFLOW, ip="10.0.0.9")]),
     ["routes[1] repeats party 10000 service fateflow"]),
    ("osx-keys-in-an-eggroll-table", "seed.json", dict(routes=[dict(NGINX_FATEFLOW, useSSL=True)]),
     ["useSSL", "format=osx"]),
    ("osx-without-self-party", "osx_without_self_party.json", dict(format="osx", routes=[NGINX_FATEFLOW]),
     ["self_party"]),
    ("self-party-on-eggroll", "seed.json", dict(self_party=["10000"]), ["self_party is an OSX key"]),
    ("missing-file-without-create", None, dict(routes=[NGINX_FATEFLOW]), ["does not exist", "create=true"]),
    ("word-port-in-file", "word_port.json", dict(routes=[NGINX_FATEFLOW]),
     ["/route_table/9999/default/0/port", '1-65535, not "http"']),
    ("port-out-of-range-in-file", "port_out_of_range.json", dict(routes=[NGINX_FATEFLOW]),
     ["/route_table/9999/default/1/port", "1-65535, not 70000"]),
    ("bad-boolean", "seed.json", dict(routes=[dict(NGINX_FATEFLOW, is_secure="maybe")]), ["is_secure"]),
    # osx.json routes 9999 and 10000 and has no default party.
    ("other-party-without-route", "osx.json", dict(format="osx", routes=[NGINX_FATEFLOW], required_parties=["8888"]),
     ["would have no route for party 8888", "no entry of its own and no default party entry"]),
    ("default-turned-off", "seed.json", dict(routes=[NGINX_FATEFLOW], default_allow=False, required_parties=["9999"]),
     ["would have no route for party 9999"]),
    ("required-party-malformed", "seed.json", dict(routes=[NGINX_FATEFLOW], required_parties=["99 99"]),
     ["required_parties[0]"]),
]


@pytest.mark.parametrize("fixture, args", [
    ("seed.json", dict(routes=[NGINX_FATEFLOW], required_parties=["9999"])),  # the default party routes it
    ("osx.json", dict(format="osx", routes=[NGINX_FATEFLOW], required_parties=["9999"])),  # its own entry
    ("osx.json", dict(format="osx", routes=[NGINX_FATEFLOW, {"party": "8888", "ip": "10.0.0.8", "port": 9370}],
                      required_parties=["8888"])),  # the entry this change adds
])
def test_required_parties_routed(capsys, tmp_path, fixture, args):
    path = table_file(tmp_path, fixture)
    result = run_module(capsys, tmp_path, dict(args, path=str(path)))
    assert not result.get("failed"), result.get("msg")


@pytest.mark.parametrize("fixture, args, words", [case[1:] for case in FAILURE_CASES],
                         ids=[case[0] for case in FAILURE_CASES])
def test_refusals_leave_the_file_untouched(capsys, tmp_path, fixture, args, words):
    path = table_file(tmp_path, fixture)
    before = path.read_bytes() if fixture else None
    result = run_module(capsys, tmp_path, dict(args, path=str(path)))
    assert result["failed"] is True
    for word in words:
        assert word in result["msg"]
    assert "Traceback" not in result["msg"]
    if fixture:
        assert path.read_bytes() == before
    else:
        assert not path.exists()
    # The lock file stays (see files.file_lock); nothing else is left behind.
    assert set(os.listdir(tmp_path)) == ({path.name} if fixture else set())


def test_check_mode_reports_and_writes_nothing(capsys, tmp_path):
    path = table_file(tmp_path, "seed_before_ha.json")
    before = path.read_bytes()
    result = run_module(capsys, tmp_path, dict(path=str(path), routes=[NGINX_FATEFLOW]), check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["changes"] == ["set 10000/fateflow"]
    assert path.read_bytes() == before
    assert '"port": 9360' in result["diff"]["before"]
    assert '"port": 9999' in result["diff"]["after"]
    assert result["diff"]["before"] != result["diff"]["after"]


def test_check_mode_create_writes_nothing(capsys, tmp_path):
    path = tmp_path / "route_table.json"
    result = run_module(capsys, tmp_path, dict(path=str(path), create=True, routes=[NGINX_FATEFLOW]), check_mode=True)
    assert result["changed"] is True
    assert not path.exists()


def test_diff_of_an_unchanged_table_is_empty(capsys, tmp_path):
    path = table_file(tmp_path, "seed.json")
    result = run_module(capsys, tmp_path, dict(path=str(path), routes=[dict(NGINX_FATEFLOW, ip="192.168.0.1")]),
                        diff=True)
    assert result["changed"] is False
    assert result["diff"]["before"] == result["diff"]["after"]


def test_backup_keeps_the_old_table(capsys, tmp_path):
    path = table_file(tmp_path, "seed_before_ha.json")
    before = path.read_bytes()
    result = run_module(capsys, tmp_path, dict(path=str(path), backup=True, routes=[NGINX_FATEFLOW]))
    assert result["changed"] is True
    with open(result["backup_file"], "rb") as handle:
        assert handle.read() == before


def test_mode_is_applied_and_idempotent(capsys, tmp_path):
    path = table_file(tmp_path, "seed.json")
    os.chmod(path, 0o600)
    result = run_module(capsys, tmp_path, dict(path=str(path), mode="0644"))
    assert result["changed"] is True
    assert oct(os.stat(path).st_mode & 0o777) == "0o644"
    assert run_module(capsys, tmp_path, dict(path=str(path), mode="0644"))["changed"] is False


def test_string_ports_in_file_are_reported_and_backed_up(capsys, tmp_path):
    path = table_file(tmp_path, "string_port.json")
    before = path.read_bytes()
    result = run_module(capsys, tmp_path, dict(path=str(path), backup=True))
    assert result["integer_ports"] == ["/route_table/9999/default/0/port", "/route_table/10000/fateflow/0/port"]
    assert result["changes"] == ["integer port /route_table/9999/default/0/port",
                                 "integer port /route_table/10000/fateflow/0/port"]
    assert load(path)["route_table"]["9999"]["default"][0]["port"] == 9370
    with open(result["backup_file"], "rb") as handle:
        assert handle.read() == before


def test_symlinked_table_keeps_its_link(capsys, tmp_path):
    target = table_file(tmp_path, "seed_before_ha.json")
    link = tmp_path / "conf-link.json"
    link.symlink_to(target.name)
    result = run_module(capsys, tmp_path, dict(path=str(link), routes=[NGINX_FATEFLOW]))
    assert result["changed"] is True
    assert link.is_symlink()
    assert load(target)["route_table"]["10000"]["fateflow"] == [{"ip": "192.168.0.10", "port": 9999}]


def test_byte_order_mark_is_accepted(capsys, tmp_path):
    path = tmp_path / "route_table.json"
    path.write_bytes(b"\xef\xbb\xbf" + open(os.path.join(FIXTURES, "seed.json"), "rb").read())
    result = run_module(capsys, tmp_path, dict(path=str(path), routes=[NGINX_FATEFLOW]))
    assert result["changed"] is True
    assert not path.read_bytes().startswith(b"\xef\xbb\xbf")


# Regression tests of issue 13.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(FIXTURES))))
MODULE = os.path.join(ROOT, "plugins", "modules", "eggroll_route.py")


def big_table(parties):
    table = {str(20000 + n): {"default": [{"ip": "10.%d.%d.%d" % (n >> 16, (n >> 8) & 255, n & 255), "port": 9370}]}
             for n in range(parties)}
    return {"route_table": table, "permission": {"default_allow": True}}


def test_concurrent_writers_lose_no_route(tmp_path):
    """N module processes at once on one real file: every route each of them set is in the file."""
    import subprocess
    import sys
    writers = 6
    path = tmp_path / "route_table.json"
    # A table big enough that each run's read-merge-write takes a while: without a lock, runs overlap.
    path.write_text(json.dumps(big_table(3000)))
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".cache", "collections"))
    procs = []
    for n in range(writers):
        work = tmp_path / ("w%d" % n)
        work.mkdir()
        args = work / "args.json"
        args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {
            "path": str(path), "routes": [{"party": str(n + 1), "service": "fateflow", "ip": "10.9.0.%d" % (n + 1),
                                           "port": 9360}],
            "_ansible_remote_tmp": str(work), "_ansible_tmpdir": str(work)}}))
        procs.append(subprocess.Popen([sys.executable, MODULE, str(args)], env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE))
    results = [json.loads(proc.communicate(timeout=120)[0]) for proc in procs]
    assert all(result["changed"] is True for result in results), results
    table = load(path)["route_table"]
    assert [table.get(str(n + 1)) for n in range(writers)] == [
        {"fateflow": [{"ip": "10.9.0.%d" % (n + 1), "port": 9360}]} for n in range(writers)]
    assert len(table) == 3000 + writers


def test_lock_held_elsewhere_times_out_and_changes_nothing(capsys, tmp_path):
    import fcntl
    path = table_file(tmp_path, "seed.json")
    before = path.read_bytes()
    holder = os.open(str(tmp_path), os.O_RDONLY)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        result = run_module(capsys, tmp_path, dict(path=str(path), lock_timeout=0.2, routes=[NGINX_FATEFLOW]))
    finally:
        os.close(holder)
    assert result["failed"] is True and "lock" in result["msg"] and "nothing was changed" in result["msg"]
    assert path.read_bytes() == before


@pytest.mark.parametrize("args, words", [
    (dict(routes=[dict(NGINX_FATEFLOW, party=["10000"])]), "routes[0].party must be a party id"),
    (dict(routes=[dict(NGINX_FATEFLOW, party=10000.5)]), "routes[0].party must be a party id"),
    (dict(routes=[dict(NGINX_FATEFLOW, service=["fateflow"])]), "routes[0].service must be a service name"),
    (dict(routes=[dict(NGINX_FATEFLOW, service="fate flow")]), "routes[0].service must be a service name"),
    (dict(routes=[dict(NGINX_FATEFLOW, ip=["192.168.0.10"])]), "routes[0].ip must be an address"),
    (dict(routes=[dict(NGINX_FATEFLOW, ip={"a": 1})]), "routes[0].ip must be an address"),
    (dict(routes=[dict(NGINX_FATEFLOW, port=[9999])]), "routes[0].port"),
    (dict(routes=[dict(NGINX_FATEFLOW, is_secure=[True])]), "routes[0].is_secure must be true or false"),
    (dict(format="osx", self_party=["10000"], routes=[dict(NGINX_FATEFLOW, caFile=["/a"])]),
     "routes[0].caFile must be a string"),
    (dict(format="osx", self_party=["10000"], routes=[dict(NGINX_FATEFLOW, **{"bad key": "x"})]),
     "not an endpoint key"),
    (dict(format="osx", self_party=[["10000"]]), "self_party[0] must be a party id"),
    (dict(format="osx", self_party=["default"]), "self_party[0] must be a party id, not 'default'"),
    (dict(lock_timeout=0), "lock_timeout must be above 0"),
    # Found by tests/unit/properties: Ansible refused these only after the table was written.
    (dict(routes=[NGINX_FATEFLOW], mode="0.0.0.0"), "mode must be octal"),
    (dict(routes=[NGINX_FATEFLOW], mode="01777777"), "mode must be octal"),
    (dict(routes=[NGINX_FATEFLOW], group="no-such-group-here"), "group 'no-such-group-here' does not exist"),
    (dict(lock_timeout=10 ** 6), "lock_timeout must be at most 3600"),
])
def test_wrong_types_are_refused_never_written(capsys, tmp_path, args, words):
    path = table_file(tmp_path, "osx.json" if args.get("format") == "osx" else "seed.json")
    before = path.read_bytes()
    result = run_module(capsys, tmp_path, dict(args, path=str(path)))
    assert result.get("failed") is True, result
    assert words in result["msg"], result["msg"]
    assert path.read_bytes() == before


def test_crlf_and_a_real_eggroll_file(capsys, tmp_path):
    path = tmp_path / "route_table.json"
    path.write_bytes(open(os.path.join(FIXTURES, "eggroll-conf.json"), "rb").read().replace(b"\n", b"\r\n"))
    result = run_module(capsys, tmp_path, dict(path=str(path), routes=[NGINX_FATEFLOW]))
    assert result["changed"] is True
    raw = path.read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n") > 0
    assert json.loads(raw)["route_table"]["10001"] == {"default": [{"port": 9395, "ip": "127.0.0.1"}]}
    assert run_module(capsys, tmp_path, dict(path=str(path), routes=[NGINX_FATEFLOW]))["changed"] is False


def test_real_osx_broker_file(capsys, tmp_path):
    path = table_file(tmp_path, "fate-2.2.0-osx-broker.json")
    result = run_module(capsys, tmp_path, dict(path=str(path), format="osx", routes=[NGINX_FATEFLOW]))
    assert result["changed"] is True
    document = load(path)
    assert document["self_party"] == ["10000"] and document["route_table"]["3479"]["default"][0]["port"] == 8889


def test_symlink_target_keeps_mode_and_owner(capsys, tmp_path):
    target = table_file(tmp_path, "seed_before_ha.json")
    os.chmod(target, 0o640)
    os.chown(target, 4321, 4321) if os.geteuid() == 0 else None
    owner = os.stat(target).st_uid, os.stat(target).st_gid
    link = tmp_path / "link.json"
    link.symlink_to(target.name)
    result = run_module(capsys, tmp_path, dict(path=str(link), routes=[NGINX_FATEFLOW]))
    assert result["changed"] is True and link.is_symlink()
    assert oct(os.stat(target).st_mode & 0o777) == "0o640" and (os.stat(target).st_uid, os.stat(target).st_gid) == owner
    # A mode asked for applies to the target, once.
    assert run_module(capsys, tmp_path, dict(path=str(link), mode="0600"))["changed"] is True
    assert oct(os.stat(target).st_mode & 0o777) == "0o600" and link.is_symlink()
    assert run_module(capsys, tmp_path, dict(path=str(link), mode="0600"))["changed"] is False


def test_one_route_on_a_20000_party_table_returns_one_route(capsys, tmp_path):
    path = tmp_path / "route_table.json"
    path.write_text(json.dumps(big_table(20000)))
    size = path.stat().st_size
    route = {"party": "20007", "ip": "10.9.9.9", "port": 9370}
    result = run_module(capsys, tmp_path, dict(path=str(path), routes=[route]), diff=True)
    assert result["changed"] is True
    assert result["changed_routes"] == {"20007": {"default": [{"ip": "10.9.9.9", "port": 9370}]}}
    assert '"10.0.0.7"' in result["diff"]["before"] and '"10.9.9.9"' in result["diff"]["after"]
    assert size > 1000000 and len(json.dumps(result)) < 2000
    assert len(load(path)["route_table"]) == 20000
