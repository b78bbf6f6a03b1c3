# Copyright: fateflow.ha maintainers
# Apache License 2.0 (see LICENSE)
"""Filters that turn inventory into FATE routes, upstream server lists and ZooKeeper host lists.

Their documentation is in the YAML files next to this one, one per filter.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.fateflow.ha.plugins.module_utils.route_table import RouteTableError, normalize_route


def fateflow_route(party_id, host, port, is_secure=None):
    """The ``fateflow`` route of a party: its Nginx host and gRPC port, checked as the module checks it."""
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


def _host_port(address, port):
    address = str(address)
    if ":" in address and not address.startswith("["):
        # An IPv6 literal: nginx and ZooKeeper clients need it bracketed before the port.
        address = "[%s]" % address
    return "%s:%d" % (address, port)


def _port(value, where):
    try:
        port = int(str(value).strip())
    except (TypeError, ValueError):
        raise AnsibleFilterError("%s must be an integer 1-65535, not %r." % (where, value))
    if not 1 <= port <= 65535:
        raise AnsibleFilterError("%s must be an integer 1-65535, not %r." % (where, value))
    return port


def host_ports(hosts, hostvars, port_var, default_port, address_var, filter_name):
    """``address:port`` of each host, in inventory order, duplicates refused."""
    if isinstance(hosts, str) or not hasattr(hosts, "__iter__"):
        raise AnsibleFilterError("%s: the input must be a list of inventory host names, such as groups['name']."
                                 % filter_name)
    result = []
    for name in hosts:
        if name not in hostvars:
            raise AnsibleFilterError("%s: host %s is not in the inventory given." % (filter_name, name))
        facts = hostvars[name]
        address = facts.get(address_var) or facts.get("ansible_host") or name
        port = _port(facts.get(port_var, default_port), "%s: %s of host %s" % (filter_name, port_var, name))
        item = _host_port(address, port)
        if item in result:
            raise AnsibleFilterError("%s: %s is listed twice (host %s); give each host its own %s or %s."
                                     % (filter_name, item, name, address_var, port_var))
        result.append(item)
    return result


def flow_upstreams(hosts, hostvars, port_var="fateflow_http_port", default_port=9380,
                   address_var="fateflow_host"):
    """Nginx upstream servers ``host:port`` of the FATE Flow nodes listed."""
    return host_ports(hosts, hostvars, port_var, default_port, address_var, "flow_upstreams")


def zookeeper_hosts(hosts, hostvars, port_var="zookeeper_client_port", default_port=2181,
                    address_var="zookeeper_host"):
    """ZooKeeper ``host:port`` list of the ensemble members listed (FATE Flow's ``zookeeper.hosts``)."""
    return host_ports(hosts, hostvars, port_var, default_port, address_var, "zookeeper_hosts")


class FilterModule(object):
    """fateflow.ha route and upstream filters."""

    def filters(self):
        return {
            "fateflow_route": fateflow_route,
            "flow_upstreams": flow_upstreams,
            "zookeeper_hosts": zookeeper_hosts,
        }
