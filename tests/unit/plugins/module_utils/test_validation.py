import pytest

from ansible_collections.fateflow.ha.plugins.module_utils import validation as v
from ansible_collections.fateflow.ha.plugins.module_utils.endpoints import connect_address

SECRET = "S3cr3t-marker-7f1c"


@pytest.mark.parametrize("value, expected", [(9380, 9380), ("9360", 9360), (" 2181 ", 2181), (65535, 65535)])
def test_port(value, expected):
    assert v.port("http_port", value) == expected


@pytest.mark.parametrize("value", [0, 65536, -1, True, False, None, 9380.0, "9380.0", "http", "", [9380], {"a": 1},
                                   "\u0663", "1e3", float("nan")])
def test_port_refuses_naming_the_option(value):
    with pytest.raises(v.InputError, match=r"^http_port must be a TCP port"):
        v.port("http_port", value)


@pytest.mark.parametrize("value, expected", [(5, 5.0), (0.5, 0.5), ("2.5", 2.5), ("10", 10.0), (86400, 86400.0)])
def test_seconds(value, expected):
    assert v.seconds("timeout", value) == expected


@pytest.mark.parametrize("value, words", [
    (0, "above 0"), (-1, "above 0"), (float("nan"), "finite"), (float("inf"), "finite"), (True, "a number"),
    ("soon", "a number"), ("-3", "a number"), (None, "a number"), (86401, "at most"), ([], "a number"),
])
def test_seconds_refuses(value, words):
    with pytest.raises(v.InputError, match=r"^timeout must .*" + words):
        v.seconds("timeout", value)


def test_integer_bounds():
    assert v.integer("wait", "30", minimum=0) == 30
    with pytest.raises(v.InputError, match="wait must be at least 0, not -1"):
        v.integer("wait", -1, minimum=0)
    with pytest.raises(v.InputError, match="wait must be a whole number"):
        v.integer("wait", 1.5)


@pytest.mark.parametrize("value", ["10.0.0.256", "3232235777", "a..b", "-flow", "flow-", "fl\x00ow", "flow\x7f",
                                   "x" * 64 + ".example", ".".join(["a" * 60] * 5), "fl\u00f6w", ".flow", 10, None,
                                   True, ["10.0.0.1"]])
def test_connect_address_refuses_more(value):
    with pytest.raises(ValueError):
        connect_address(value)


@pytest.mark.parametrize("value", ["flow1", "flow_1.lab", "flow1.example.", "10.0.0.1", "fd00::1", "[fd00::1]",
                                   "1.example"])
def test_connect_address_accepts(value):
    assert connect_address(value)


def test_address_names_option_and_type():
    with pytest.raises(v.InputError, match="^host must be a host name or IP address .a string., not int"):
        v.address("host", 10)
    with pytest.raises(v.InputError, match="^host is refused: .*loopback"):
        v.address("host", "127.0.0.1", routable=True)


def test_zookeeper_hosts():
    assert v.zookeeper_hosts("hosts", ["zk1:2181,zk2:2182", "fd00::1", "[fd00::2]:2181/fate"]) == \
        "zk1:2181,zk2:2182,[fd00::1]:2181,[fd00::2]:2181/fate"
    for bad, words in [([], "is empty"), (["zk1:0"], r"hosts\[0\] is refused"), ([1], r"hosts\[0\] must be"),
                       (["zk1:2181/a//b"], "chroot"), ("zk1 zk2", "is refused"), ({"a": 1}, "must be a list")]:
        with pytest.raises(v.InputError, match=words):
            v.zookeeper_hosts("hosts", bad)


@pytest.mark.parametrize("value", ["/", "/FATE-COMPONENTS", "/a/b.c/d-e", "/\u00e9t\u00e9"])
def test_znode_path(value):
    assert v.znode_path("name", value) == value


@pytest.mark.parametrize("value", ["", "a", "a/b", "/a/", "/a//b", "/a/./b", "/a/..", "/a\x00b", "/a\nb",
                                   "/a\u0085", "/\ue000", None, 5])
def test_znode_path_refuses(value):
    with pytest.raises(v.InputError, match="^name "):
        v.znode_path("name", value)


@pytest.mark.parametrize("value, bits", [("all", 31), ("ALL", 31), ("cdrwa", 31), ("r", 1), ("ra", 17), (" rw ", 3),
                                         ("31", 31), (1, 1)])
def test_zookeeper_perms(value, bits):
    assert v.zookeeper_perms("perms", value) == bits


@pytest.mark.parametrize("value", ["", "x", "rwx", "0", 0, 32, "\u00b2", True, None, ["r"], "r w"])
def test_zookeeper_perms_refuses(value):
    with pytest.raises(v.InputError, match="^perms "):
        v.zookeeper_perms("perms", value)


@pytest.mark.parametrize("value", ["fate-fateflow", "fate_flow", "fate:fateflow", "flow.1"])
def test_service_name(value):
    assert v.service_name("name", value) == value


@pytest.mark.parametrize("value", ["all", "ALL", " all", "fate-fateflow fate-nginx", "fate:*", "*", "-h", "--help",
                                   "", "a\nb", "a;b", "a/b", "x" * 256, None, 3])
def test_service_name_refuses(value):
    with pytest.raises(v.InputError, match="^name "):
        v.service_name("name", value)


def test_secret_text_never_quoted():
    for bad in ["a\x00" + SECRET, SECRET + "\n"]:
        with pytest.raises(v.InputError) as raised:
            v.text("auth_credential", bad, secret=True)
        assert SECRET not in str(raised.value) and "auth_credential" in str(raised.value)


def test_check_options_fails_with_option_named():
    class Module:
        params = {"port": "x", "timeout": "2", "other": None}

        def fail_json(self, msg):
            raise RuntimeError(msg)
    module = Module()
    module.params["port"] = "80"
    v.check_options(module, {"port": v.port, "timeout": v.seconds, "other": v.port})
    assert module.params == {"port": 80, "timeout": 2.0, "other": None}
    module.params["port"] = "eighty"
    with pytest.raises(RuntimeError, match="^port must be a TCP port.*'eighty'.$"):
        v.check_options(module, {"port": v.port})
