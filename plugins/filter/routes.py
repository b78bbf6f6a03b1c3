# Copyright: fateflow.ha maintainers
# Apache License 2.0 (see LICENSE)
"""Filters that turn inventory into FATE routes.

Their documentation is in the YAML files next to this one, one per filter.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.six import string_types

from ansible_collections.fateflow.ha.plugins.module_utils.route_table import RouteTableError, normalize_route


def fateflow_route(party_id, host, port, is_secure=None):
    """The ``fateflow`` route of a party: its Nginx host and gRPC port, checked as the module checks it."""
    for name, value in (("party_id", party_id), ("host", host), ("port", port)):
        if isinstance(value, bool) or not isinstance(value, string_types + (int, float)):
            raise AnsibleFilterError("fateflow_route: %s must be a string or a number, not %s" % (name, type(value).__name__))
    route = {"party": party_id, "service": "fateflow", "ip": host, "port": port}
    if is_secure is not None:
        route["is_secure"] = is_secure
    try:
        party, service, endpoint = normalize_route(route, 0, "eggroll")
    except RouteTableError as exc:
        raise AnsibleFilterError("fateflow_route: %s" % to_native(exc).replace("routes[0].", ""))
    result = {"party": party, "service": service}
    result.update(endpoint)
    return result


class FilterModule(object):
    """fateflow.ha route filters."""

    def filters(self):
        return {
            "fateflow_route": fateflow_route,
        }
