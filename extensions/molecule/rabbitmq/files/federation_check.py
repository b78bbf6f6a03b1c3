#!/usr/bin/python3
"""One message from party A's broker to party B's, set up as FATE 2.2's rabbitmq federation does.

In `replication` mode each party's task logs in to its own broker's management API as the base
user and creates the job's user (name and password: the session id), the pair's vhost with both
users' rights, a send and a receive queue, and for the receive queue a federation upstream
(amqp://<job user>:<session id>@<peer broker>:<amqp port>, queue: the peer's send queue) and a
policy that applies it. The sender publishes into its send queue on its own broker; the
receiver's broker pulls the message over the federation link into its receive queue.

Usage: federation_check.py A_HOST B_HOST BASE_USER, the base user's password on stdin (ports in
RABBITMQ_PORT / RABBITMQ_MNG_PORT). Prints a JSON report; exits 1 when the message does not arrive.
"""

import base64
import json
import os
import sys
import time
import urllib.parse
import urllib.request

import pika

AMQP_PORT = int(os.environ.get("RABBITMQ_PORT", "5672"))
MNG_PORT = int(os.environ.get("RABBITMQ_MNG_PORT", "15672"))
USER = sys.argv[3]
PASSWORD = sys.stdin.readline().rstrip("\n")
GUEST, HOST = ("guest", "9999"), ("host", "10000")


def api(broker, method, path, body=None):
    request = urllib.request.Request(
        "http://%s:%d/api/%s" % (broker, MNG_PORT, path), method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json",
                 "Authorization": "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def quoted(name):
    return urllib.parse.quote(name, safe="")


def set_up_party(broker, peer, session, me, other, vhost):
    """What one party's task creates on its own broker for the pair; returns its send and receive queues."""
    send = "send-%s-%s-%s-%s-%s-check" % ((session,) + me + other)
    receive = "receive-%s-%s-%s-%s-%s-check" % ((session,) + other + me)
    calls = [
        ("PUT", "users/" + quoted(session), {"password": session, "tags": ""}),
        ("PUT", "vhosts/" + quoted(vhost), None),
        ("PUT", "permissions/%s/%s" % (quoted(vhost), quoted(USER)), {"configure": ".*", "write": ".*", "read": ".*"}),
        ("PUT", "permissions/%s/%s" % (quoted(vhost), quoted(session)), {"configure": ".*", "write": ".*", "read": ".*"}),
        ("PUT", "queues/%s/%s" % (quoted(vhost), quoted(send)), {"auto_delete": False, "durable": True, "arguments": {}}),
        ("PUT", "queues/%s/%s" % (quoted(vhost), quoted(receive)), {"auto_delete": False, "durable": True, "arguments": {}}),
        ("PUT", "parameters/federation-upstream/%s/%s" % (quoted(vhost), quoted(receive)),
         {"value": {"uri": "amqp://%s:%s@%s:%d" % (session, session, peer, AMQP_PORT),
                    "queue": receive.replace("receive", "send", 1)}}),
        ("PUT", "policies/%s/%s" % (quoted(vhost), quoted(receive)),
         {"pattern": "^%s$" % receive, "apply-to": "queues", "definition": {"federation-upstream": receive}}),
    ]
    statuses = [api(broker, method, path, body)[0] for method, path, body in calls]
    return send, receive, statuses


def channel(broker, session, vhost):
    connection = pika.BlockingConnection(pika.ConnectionParameters(
        host=broker, port=AMQP_PORT, virtual_host=vhost, credentials=pika.PlainCredentials(session, session),
        connection_attempts=3, retry_delay=1))
    return connection, connection.channel()


def clean(broker, session, vhost):
    """What FATE's tasks do at the end of a job: the vhost (with its queues, upstream, policy) and the job user go."""
    for path in ("vhosts/" + quoted(vhost), "users/" + quoted(session)):
        try:
            api(broker, "DELETE", path)
        except OSError:
            pass


def main():
    broker_a, broker_b = sys.argv[1], sys.argv[2]
    session = "check_%d" % (time.time() * 1000)
    vhost = "%s-%s-%s-%s-%s" % ((session,) + GUEST + HOST)
    report = {"session": session}
    try:
        send_a, _, report["api_a"] = set_up_party(broker_a, broker_b, session, GUEST, HOST, vhost)
        _, receive_b, report["api_b"] = set_up_party(broker_b, broker_a, session, HOST, GUEST, vhost)
        body = ("from %s to %s, %s" % (broker_a, broker_b, session)).encode()
        connection, sender = channel(broker_a, session, vhost)
        sender.basic_publish(exchange="", routing_key=send_a, body=body,
                             properties=pika.BasicProperties(message_id=session, delivery_mode=2))
        connection.close()
        started = time.monotonic()
        connection, receiver = channel(broker_b, session, vhost)
        method, properties, received = next(receiver.consume(receive_b, inactivity_timeout=30))
        report["seconds"] = round(time.monotonic() - started, 2)
        if method is not None:
            receiver.basic_ack(method.delivery_tag)
            report["received"] = received.decode()
            report["message_id"] = properties.message_id
        connection.close()
        links = json.loads(api(broker_b, "GET", "federation-links/" + quoted(vhost))[1])
        report["links_b"] = [{"upstream": link["upstream"], "status": link["status"]} for link in links]
        report["ok"] = method is not None and received == body and properties.message_id == session
    finally:
        clean(broker_a, session, vhost)
        clean(broker_b, session, vhost)
    print(json.dumps(report))
    return 0 if report.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
