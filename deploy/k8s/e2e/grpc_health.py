#!/usr/bin/env python3
"""grpc.health.v1.Health/Check against TARGET for each SERVICE name ("" is the server as a whole); prints
"<name>: <status>" per name and exits 1 unless all are SERVING. The two messages are one string and one
enum field, encoded by hand so no extra package is needed.
  grpc_health.py TARGET SERVICE...      e.g. grpc_health.py 10.215.0.10:8500 "" PredictionService ModelService
"""
import sys

import grpc

STATUS = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}


def check(channel, name):
    data = name.encode()
    request = b"\x0a" + bytes([len(data)]) + data if data else b""  # field 1 (string); len < 128
    try:
        reply = channel.unary_unary("/grpc.health.v1.Health/Check")(request, timeout=10)
    except grpc.RpcError as e:
        return e.code().name
    return STATUS.get(reply[1] if reply[:1] == b"\x08" else 0, "?")  # field 1 (enum), absent = UNKNOWN


def main(target, names):
    with grpc.insecure_channel(target) as channel:
        results = {name: check(channel, name) for name in names}
    for name, status in results.items():
        print('  "%s": %s' % (name, status))
    return 0 if all(s == "SERVING" for s in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
