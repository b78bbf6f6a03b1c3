"""Arbitrary option values for eggroll_route and fateflow_service_conf, run through main() on real files.

Whatever the values: the module ends with its own result (a clear ``msg`` when it fails, never
an exception out of main()), a refusal leaves the file byte for byte as it was, and no credential
given in an option, in settings or in the file appears anywhere in the result.
"""

import json
import os
import shutil
import tempfile

from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.fateflow.ha.plugins.modules import eggroll_route, fateflow_service_conf
from ansible_collections.fateflow.ha.tests.support.module_runner import run_module
from ansible_collections.fateflow.ha.tests.unit.properties.strategies import (
    SECRET, addresses, json_values, option_values, party_ids, ports, service_names)

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")
ROUTE_TABLES = ["seed.json", "osx.json", "eggroll-conf.json", "fate-2.2.0-osx-broker.json", "string_port.json"]
SERVICE_CONFS = ["fate-1.11.4.yaml", "fate-flow-2.2.0.yaml"]


def _run(main, fixture, args, check_mode, diff):
    """Run main() on a fresh copy of ``fixture``; returns (result, bytes before, bytes after)."""
    work = tempfile.mkdtemp()
    try:
        path = os.path.join(work, "conf")
        with open(fixture, "rb") as handle:
            before = handle.read().replace(b"passwd: fate", ("passwd: %s" % SECRET).encode())
        with open(path, "wb") as handle:
            handle.write(before)
        result = run_module(main, dict(args, path=path, _ansible_tmpdir=work), check_mode=check_mode, diff=diff)
        with open(path, "rb") as handle:
            after = handle.read()
    finally:
        shutil.rmtree(work)
    return result, before, after


def _check(result, before, after):
    assert isinstance(result.get("changed"), bool) or result.get("failed")
    if result.get("failed"):
        assert result["msg"] and "Traceback" not in result["msg"]
        assert after == before
    assert SECRET not in json.dumps(result, default=str)


route_values = st.fixed_dictionaries({}, optional={
    "party": party_ids, "service": service_names, "ip": addresses, "port": ports,
    "is_secure": option_values, "useSSL": option_values, "caFile": option_values, "protocol": option_values,
    "url": option_values})
route_options = st.fixed_dictionaries({}, optional={
    "routes": st.lists(route_values | json_values, max_size=3) | json_values,
    "format": st.sampled_from(["eggroll", "osx"]) | option_values,
    "state": st.sampled_from(["present", "absent"]) | option_values,
    "default_allow": st.booleans() | option_values,
    "self_party": st.lists(party_ids, max_size=2) | option_values,
    "create": st.booleans(), "backup": st.booleans() | option_values,
    "lock_timeout": st.floats(allow_nan=True) | option_values,
    "mode": st.sampled_from(["0644", "0600", "u=rw"]) | option_values})


@given(route_options, st.sampled_from(ROUTE_TABLES), st.booleans(), st.booleans())
def test_eggroll_route_any_options(args, fixture, check_mode, diff):
    result, before, after = _run(eggroll_route.main, os.path.join(FIXTURES, "route_table", fixture), args,
                                 check_mode, diff)
    _check(result, before, after)


db_values = st.fixed_dictionaries({"name": st.just("fate_flow") | option_values, "user": st.just("fate"),
                                   "password": st.just(SECRET) | st.lists(st.just(SECRET), max_size=2),
                                   "host": addresses},
                                  optional={"port": ports, "max_connections": option_values,
                                            "stale_timeout": option_values})
secret_settings = st.fixed_dictionaries({}, optional={
    "database": st.fixed_dictionaries({"mysql": st.fixed_dictionaries({"passwd": st.just(SECRET)})}),
    "private_key": st.just(SECRET), "zookeeper": st.fixed_dictionaries({"password": st.just(SECRET)}),
    "default_engines": json_values, "model_store_address": st.dictionaries(st.sampled_from(["storage", "Bucket"]),
                                                                           json_values, max_size=2)})
conf_options = st.fixed_dictionaries({}, optional={
    "flow_version": st.sampled_from(["1.11.4", "2.2.0", "3.0"]) | option_values,
    "host": addresses, "http_port": ports, "grpc_port": ports, "party_id": party_ids,
    "use_registry": st.booleans() | option_values, "nginx_host": addresses, "nginx_http_port": ports,
    "nginx_grpc_port": ports, "zookeeper_hosts": st.lists(addresses | ports, max_size=3) | option_values,
    "zookeeper_use_acl": st.booleans(), "zookeeper_user": st.just("fate") | option_values,
    "zookeeper_password": st.just(SECRET) | st.lists(st.just(SECRET), max_size=2),
    "database": db_values | json_values, "model_store": db_values, "rollsite_host": addresses,
    "rollsite_port": ports, "settings": secret_settings | json_values, "backup": st.booleans()})


@given(conf_options, st.sampled_from(SERVICE_CONFS), st.booleans(), st.booleans())
def test_fateflow_service_conf_any_options(args, fixture, check_mode, diff):
    if "zookeeper_password" in args:
        args.setdefault("zookeeper_user", "fate")
    result, before, after = _run(fateflow_service_conf.main, os.path.join(FIXTURES, "service_conf", fixture), args,
                                 check_mode, diff)
    _check(result, before, after)
