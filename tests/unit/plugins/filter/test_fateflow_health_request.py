"""The health request the playbooks probe with is the module's own."""

import pytest

from ansible_collections.fateflow.ha.plugins.filter.fateflow_health_request import fateflow_health_request
from ansible_collections.fateflow.ha.plugins.module_utils import fateflow_node


@pytest.mark.parametrize("version, method, path", [
    ("2.2.0", "GET", "/v2/server/fateflow"),
    ("2", "GET", "/v2/server/fateflow"),
    ("v2.0.0", "GET", "/v2/server/fateflow"),
    ("1.11.4", "POST", "/v1/version/get"),
    ("1", "POST", "/v1/version/get"),
])
def test_request_of_each_version(version, method, path):
    assert fateflow_health_request(version) == {"method": method, "path": path}


def test_same_table_as_the_module():
    for major, (method, path) in fateflow_node.HEALTH_REQUESTS.items():
        assert fateflow_health_request(str(major)) == {"method": method, "path": path}
