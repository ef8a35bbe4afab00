#!/usr/bin/env python3
"""Export a stateful SavedModel with a TF Serving warmup file, for warmup tests.

Usage: export_warmup_model.py OUT_VERSION_DIR RECORDS [--corrupt]

The model counts calls: signature `incr` adds x to a counter variable and
returns the new total; `incr_rows` does the same for a batch of rows; `get`
returns the counter; `slow` echoes x after about a second. assets.extra/
tf_serving_warmup_requests holds RECORDS PredictionLog records calling `incr`
with x = 1, written with TensorFlow's own TFRecordWriter, so after warmup the
counter equals RECORDS x iterations. --corrupt flips a byte of the file so its
checksum fails.
"""
import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.python.data.experimental.ops import testing  # noqa: E402
from tensorflow_serving.apis import predict_pb2, prediction_log_pb2  # noqa: E402


class Counter(tf.Module):
    def __init__(self):
        super().__init__()
        self.count = tf.Variable(0.0)

    @tf.function(input_signature=[tf.TensorSpec([], tf.float32, name="x")])
    def incr(self, x):
        return {"count": self.count.assign_add(x)}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
    def incr_rows(self, x):
        # Batchable: one row per element; every row gets the new total.
        total = self.count.assign_add(tf.reduce_sum(x))
        return {"count": tf.fill(tf.shape(x), total)}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
    def slow(self, x):
        # Deliberately slow, keeping a batch running in tests: about a second of wall time whatever the
        # CPU (TensorFlow's SleepDataset sleeps before each of its two GetNext calls; compute-bound
        # delays ran 8x faster on an idle machine than the tests' timing assumed).
        done = tf.data.Dataset.range(1).apply(testing.sleep(500_000))
        waited = done.reduce(tf.constant(0, tf.int64), lambda a, b: a + b)
        return {"y": x + tf.cast(waited, tf.float32) * 0.0}

    @tf.function(input_signature=[])
    def get(self):
        return {"count": self.count.read_value()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("records", type=int)
    parser.add_argument("--corrupt", action="store_true")
    args = parser.parse_args()
    model = Counter()
    tf.saved_model.save(model, args.out, signatures={"incr": model.incr, "incr_rows": model.incr_rows, "slow": model.slow, "get": model.get,
                                                     "serving_default": model.get})
    extra = os.path.join(args.out, "assets.extra")
    os.makedirs(extra, exist_ok=True)
    path = os.path.join(extra, "tf_serving_warmup_requests")
    with tf.io.TFRecordWriter(path) as writer:
        for _ in range(args.records):
            request = predict_pb2.PredictRequest()
            request.model_spec.name = "counter"
            request.model_spec.signature_name = "incr"
            request.inputs["x"].CopyFrom(tf.make_tensor_proto(np.float32(1.0)))
            log = prediction_log_pb2.PredictionLog(predict_log=prediction_log_pb2.PredictLog(request=request))
            writer.write(log.SerializeToString())
    if args.corrupt:
        with open(path, "r+b") as f:
            f.seek(20)
            byte = f.read(1)
            f.seek(20)
            f.write(bytes([byte[0] ^ 0xFF]))


if __name__ == "__main__":
    main()
