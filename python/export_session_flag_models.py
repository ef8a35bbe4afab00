#!/usr/bin/env python3
"""Models for test/e2e/session-flags.test.ts, and TensorFlow's own answers for them.

  matmul/1   x: float[None, 2] -> y = x @ [[1], [1]] (TF1 graph): a MatMul, which TensorFlow's oneDNN
             bfloat16 auto mixed precision rewrite computes in bfloat16 where the CPU supports it
  xla_jit/1  x: float[None] -> y = 2 * x + 1 in a tf.function(jit_compile=True): runs only where XLA
             JIT is allowed

Usage: export_session_flag_models.py OUT_DIR X_JSON
Prints {"fp32": y, "bf16": y}: matmul's y for X computed by TensorFlow in a session without and with
graph_options.rewrite_options.auto_mixed_precision_onednn_bfloat16 = ON (equal on a CPU where the
rewrite does not apply).
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.core.protobuf import config_pb2, rewriter_config_pb2  # noqa: E402

from export_runtime_models import export_xla_jit  # noqa: E402  (the runtime tests' XLA model)


def export_matmul(path):
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 2], name="x")
        y = tf.identity(tf.matmul(x, tf.constant([[1.0], [1.0]])), name="y")
        with tf.compat.v1.Session(graph=g) as s:
            tf.compat.v1.saved_model.simple_save(s, path, {"x": x}, {"y": y})


def matmul_answer(path, x, bfloat16):
    config = config_pb2.ConfigProto()
    if bfloat16:
        config.graph_options.rewrite_options.auto_mixed_precision_onednn_bfloat16 = rewriter_config_pb2.RewriterConfig.ON
    with tf.compat.v1.Session(graph=tf.Graph(), config=config) as s:
        tf.compat.v1.saved_model.loader.load(s, ["serve"], path)
        return s.run("y:0", {"x:0": np.array(x, np.float32)}).reshape(-1).tolist()


def main():
    out, x = sys.argv[1], json.loads(sys.argv[2])
    matmul = os.path.join(out, "matmul", "1")
    export_matmul(matmul)
    export_xla_jit(tf, os.path.join(out, "xla_jit", "1"))
    json.dump({"fp32": matmul_answer(matmul, x, False), "bf16": matmul_answer(matmul, x, True)}, sys.stdout)


if __name__ == "__main__":
    main()
