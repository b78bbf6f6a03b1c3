"""party_peers read the same way by the route role, the Flow role and their preflights."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.fateflow.ha.plugins.filter.peers import invalid_peers, peer_routes, rabbitmq_route_table

PEERS = [{"party_id": 9999, "rollsite_host": "10.200.2.10", "rabbitmq_host": "10.200.2.10", "rabbitmq_port": "5673"}]


def test_routes_and_rabbitmq_table():
    assert peer_routes(PEERS, "10000") == [
        {"party": "9999", "service": "default", "ip": "10.200.2.10", "port": 9370}]
    assert rabbitmq_route_table(PEERS, "10000", "10.200.1.16", 5672) == {
        "10000": {"host": "10.200.1.16", "port": 5672}, "9999": {"host": "10.200.2.10", "port": 5673}}
    assert invalid_peers(PEERS, "10000", ["rollsite", "rabbitmq"]) == ""
    assert peer_routes([], "10000") == [] and invalid_peers(None, "10000") == ""


@pytest.mark.parametrize("peers, needs, words", [
    ([{"party_id": "10000", "rollsite_host": "10.0.0.1"}], [], "party_peers[0].party_id is 10000, this party's own id"),
    ([{"party_id": 10000}], [], "this party's own id"),
    (PEERS + [{"party_id": "9999"}], [], "party_peers[1].party_id 9999 is listed twice"),
    ([{"party_id": "9999"}], ["rabbitmq"], "party_peers[0].rabbitmq_host is missing"),
    ([{"party_id": "9999", "rollsite_host": "10.0.0.1", "rollsite_port": 0}], [], "party_peers[0].rollsite_port"),
    ([{"party_id": "9999", "rollsite_host": "not an address"}], [], "party_peers[0].rollsite_host"),
    ([{"party_id": "9999", "rollsite": "10.0.0.1"}], [], "keys it does not take: rollsite"),
    ([{"rollsite_host": "10.0.0.1"}], [], "party_peers[0].party_id is missing"),
    ([{"party_id": True}], [], "party_peers[0].party_id"),
    ("9999", [], "party_peers must be a list"),
    (["9999"], [], "party_peers[0] must be a mapping"),
])
def test_problems_named(peers, needs, words):
    assert words in invalid_peers(peers, "10000", needs)


def test_routes_refuse_what_the_preflight_refuses():
    with pytest.raises(AnsibleFilterError, match="this party's own id"):
        peer_routes([{"party_id": "10000", "rollsite_host": "10.0.0.1"}], "10000")
    with pytest.raises(AnsibleFilterError, match="party_rabbitmq_port"):
        rabbitmq_route_table([], "10000", "10.0.0.1", "amqp")
