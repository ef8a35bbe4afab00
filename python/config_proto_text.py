#!/usr/bin/env python3
"""Decode serialized tensorflow.ConfigProto messages with TensorFlow's own protos.

Reads [{"hex": serialized bytes, "expected": text-format ConfigProto}] as JSON on stdin and prints
[{"decoded": text, "expected": text}]: both in one-line text format, from the same message type, so
equal strings mean equal messages. Unknown fields are printed (as "<number>: <value>"), so bytes written
with a wrong field number never pass for the right ones.

Used by test/unit/runtime/session-config.test.ts.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from google.protobuf import text_format  # noqa: E402
from tensorflow.core.protobuf import config_pb2  # noqa: E402


def one_line(message):
    return text_format.MessageToString(message, as_one_line=True, print_unknown_fields=True)


def main():
    out = []
    for case in json.load(sys.stdin):
        decoded = config_pb2.ConfigProto.FromString(bytes.fromhex(case["hex"]))
        expected = text_format.Parse(case["expected"], config_pb2.ConfigProto())
        out.append({"decoded": one_line(decoded), "expected": one_line(expected)})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
