# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)
"""Filters that read party_peers, the other parties this party runs federated jobs with.

Their documentation is in the YAML files next to this one, one per filter.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.fateflow.ha.plugins.module_utils import fate_inputs, validation
from ansible_collections.fateflow.ha.plugins.module_utils.validation import InputError, shown

PEER_KEYS = ("party_id", "rollsite_host", "rollsite_port", "rabbitmq_host", "rabbitmq_port")
DEFAULT_PORTS = {"rollsite_port": 9370, "rabbitmq_port": 5672}


def _peer(index, peer, party_id):
    """One checked peer: party id as text, addresses checked, ports as ints with their defaults."""
    where = "party_peers[%d]" % index
    if not isinstance(peer, dict):
        raise InputError(where, "must be a mapping with party_id, rollsite_host ..., not %s" % shown(peer))
    unknown = sorted(str(key) for key in peer if key not in PEER_KEYS)
    if unknown:
        raise InputError(where, "has keys it does not take: %s (it takes %s)" % (", ".join(unknown), ", ".join(PEER_KEYS)))
    if peer.get("party_id") in (None, ""):
        raise InputError(where + ".party_id", "is missing: the other party's id")
    checked = {"party_id": fate_inputs.party_id(where + ".party_id", peer["party_id"])}
    if checked["party_id"] == str(party_id):
        raise InputError(where + ".party_id", "is %s, this party's own id (party_id): two parties cannot share "
                                              "an id, the route table and FATE's jobs tell them apart by it"
                                              % checked["party_id"])
    for service in ("rollsite", "rabbitmq"):
        host = peer.get(service + "_host")
        if host in (None, ""):
            continue
        checked[service + "_host"] = validation.address("%s.%s_host" % (where, service), host)
        port = peer.get(service + "_port")
        checked[service + "_port"] = validation.port(
            "%s.%s_port" % (where, service), DEFAULT_PORTS[service + "_port"] if port in (None, "") else port)
    return checked


def _peers(peers, party_id):
    if peers in (None, ""):
        return []
    if not isinstance(peers, list):
        raise InputError("party_peers", "must be a list of the other parties, not %s" % shown(peers))
    checked = [_peer(index, peer, party_id) for index, peer in enumerate(peers)]
    seen = set()
    for index, peer in enumerate(checked):
        if peer["party_id"] in seen:
            raise InputError("party_peers[%d].party_id" % index, "%s is listed twice" % peer["party_id"])
        seen.add(peer["party_id"])
    return checked


def invalid_peers(peers, party_id, needs=()):
    """The first problem of party_peers as a message naming the variable, or '' when there is none.

    ``needs``: services every peer must have an address for (``rollsite``, ``rabbitmq``).
    """
    try:
        checked = _peers(peers, party_id)
    except InputError as exc:
        return str(exc)
    for index, peer in enumerate(checked):
        for service in needs:
            if service + "_host" not in peer:
                return ("party_peers[%d].%s_host is missing: party %s needs an entry in this party's %s route table"
                        % (index, service, peer["party_id"], service))
    return ""


def _checked(peers, party_id):
    try:
        return _peers(peers, party_id)
    except InputError as exc:
        raise AnsibleFilterError(str(exc))


def peer_routes(peers, party_id):
    """The route table entries of the peers that have a rollsite: all their services through it."""
    return [{"party": peer["party_id"], "service": "default", "ip": peer["rollsite_host"], "port": peer["rollsite_port"]}
            for peer in _checked(peers, party_id) if "rollsite_host" in peer]


def rabbitmq_route_table(peers, party_id, host, port):
    """FATE's rabbitmq_route_table.yaml: this party's broker and each peer's, by party id."""
    try:
        table = {str(party_id): {"host": validation.address("party_rabbitmq_host", host),
                                 "port": validation.port("party_rabbitmq_port", port)}}
    except InputError as exc:
        raise AnsibleFilterError(str(exc))
    for peer in _checked(peers, party_id):
        if "rabbitmq_host" in peer:
            table[peer["party_id"]] = {"host": peer["rabbitmq_host"], "port": peer["rabbitmq_port"]}
    return table


class FilterModule(object):
    """fateflow.ha filters of the other parties."""

    def filters(self):
        return {
            "invalid_peers": invalid_peers,
            "peer_routes": peer_routes,
            "rabbitmq_route_table": rabbitmq_route_table,
        }
