"""Hypothesis strategies shared by the property tests: JSON values, addresses, ports, FATE keys."""

from hypothesis import strategies as st

SECRET = "S3cr3t-Marker-7"

json_scalars = (st.none() | st.booleans() | st.integers(min_value=-(2 ** 70), max_value=2 ** 70)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=16)

# Addresses as inventories hold them, right and wrong.
ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda parts: "%d.%d.%d.%d" % parts)
ipv6 = st.ip_addresses(v=6).map(str)
host_names = st.from_regex(r"\A[a-z][a-z0-9-]{0,10}(\.[a-z][a-z0-9-]{0,10}){0,2}\Z")
odd_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=16)
addresses = st.one_of(
    ipv4, ipv6, ipv6.map(lambda a: "[%s]" % a), host_names,
    st.sampled_from(["0.0.0.0", "::", "127.0.0.1", "::1", "localhost", "[::1]", "[fd00::1", "a b", "h:1", ""]),
    odd_text)
ports = st.one_of(st.integers(-5, 70000), st.integers(1, 65535).map(str), st.sampled_from(["", " 80", "0x50", "80.0"]),
                  st.booleans(), st.floats(allow_nan=True), st.lists(st.integers(1, 65535), max_size=2), odd_text)
# Any option value a playbook can hand over: JSON, with the likely shapes more often.
option_values = st.one_of(json_values, addresses, ports)

party_ids = st.one_of(st.sampled_from(["default", "10000", "9999", "0001"]), st.integers(-3, 100000), odd_text,
                      st.lists(st.sampled_from(["10000"]), max_size=2))
service_names = st.one_of(st.sampled_from(["default", "fateflow", "fateboard"]), odd_text,
                          st.lists(st.sampled_from(["fateflow"]), max_size=2), st.none())
